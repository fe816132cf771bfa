/// The sizes, rates, counts and durations of one suite run (full or `--quick`), and the
/// layer blobs the origin must serve for it, in manifest order.
public struct SuiteSettings: Sendable {
    /// Whether this is the short CI variant.
    public var quick: Bool
    /// Per-connection origin rates for S1 (bytes/s).
    public var ratesBytesPerSecond: [Int64]
    /// Each cold fill lasts this long at its rate (the blob is rate × this).
    public var fillSeconds: Double = 2
    /// S1 client counts.
    public var fanOuts: [Int]
    /// Cap for one S1/S6 run (s); a peer that fetches once per client hits it.
    public var fanOutCapSeconds: Double
    /// S1N (issue 19): this many waiters on one cold blob of `largeFanOutBlobBytes` from an
    /// unthrottled origin; nil = not run (and its blob not served).
    public var largeFanOutWaiters: Int?
    public var largeFanOutBlobBytes: Int64 = 64 << 20
    /// S1N cap (s): 10,000 × 64 MiB is 625 GiB, more than a loopback moves in minutes, so
    /// the run is cut off and reports first bytes, memory and the bodies finished by then.
    public var largeFanOutCapSeconds: Double = 60
    /// S1N verifies one waiter's body in this many (SHA-256 of every body would make the
    /// client the bottleneck); every other body is checked for its full length.
    public var largeFanOutVerifyEvery = 100
    /// S2/S3/S5 hot blob size (bytes).
    public var hotBlobBytes: Int64
    /// S2 connection counts.
    public var throughputConnections: [Int]
    /// S2/S3 run length (s).
    public var steadySeconds: Double
    /// Rounds of S2, S3 and S5 (each target once per round, the order rotated); a figure is
    /// the median run.
    public var steadyRounds: Int
    /// S3 connections.
    public var smallConnections = 32
    /// S4 idle connections.
    public var idleConnections: Int
    /// S5 small-request rate (req/s), length (s) and background streams.
    public var latencyRequestsPerSecond: Double = 1000
    public var latencySeconds: Double
    public var latencyStreams = 4
    /// S6 followers, their delay after the leader (s), and the slow leader's read rate.
    public var slowLeaderFollowers: Int
    public var followersDelaySeconds = 0.2
    public var slowLeaderBytesPerSecond: Int64 = 1 << 20
    public var abortFraction = 0.1
    /// S7: fill length (s) at the slowest rate, and when the range request comes (s).
    public var rangeFillSeconds: Double
    public var rangeDelaySeconds = 1.0

    /// The full suite (about 20 minutes on 2 cores) or the quick one (under 3).
    public init(quick: Bool) {
        self.quick = quick
        let mib: Int64 = 1 << 20
        ratesBytesPerSecond = quick ? [8 * mib] : [2 * mib, 8 * mib]
        fanOuts = quick ? [1, 10, 100] : [1, 10, 100, 1000]
        fanOutCapSeconds = quick ? 10 : 20
        hotBlobBytes = quick ? 32 * mib : 64 * mib
        throughputConnections = quick ? [1, 16] : [1, 16, 256]
        steadySeconds = quick ? 1 : 3
        steadyRounds = quick ? 1 : 3
        idleConnections = quick ? 1000 : 10_000
        latencySeconds = quick ? 2 : 5
        slowLeaderFollowers = quick ? 20 : 100
        rangeFillSeconds = quick ? 4 : 8
    }

    /// The S1 blob for `rate` (index into `ratesBytesPerSecond`) and fan-out index.
    public func fanOutLayer(rate: Int, fanOut: Int) -> Int { rate * fanOuts.count + fanOut }
    /// The S6 blobs (slow leader, aborting leader).
    public var slowLeaderLayer: Int { ratesBytesPerSecond.count * fanOuts.count }
    public var abortLeaderLayer: Int { slowLeaderLayer + 1 }
    /// The S7 blob.
    public var rangeLayer: Int { slowLeaderLayer + 2 }
    /// The hot blob of S2, S3 and S5.
    public var hotLayer: Int { slowLeaderLayer + 3 }

    /// The S1N blob (after the hot blob, so the other scenarios' layers keep their places).
    public var largeFanOutLayer: Int { hotLayer + 1 }

    /// The fastest and slowest S1 rates.
    public var fastRate: Int64 { ratesBytesPerSecond.max()! }
    public var slowRate: Int64 { ratesBytesPerSecond.min()! }

    /// Blob size for a fill at `rate` lasting `seconds`.
    public func blobBytes(rate: Int64, seconds: Double) -> Int64 { Int64(Double(rate) * seconds) }

    /// Every layer's size, in manifest order (what `cistern-bench origin --blob-sizes` takes).
    public var blobSizes: [Int64] {
        var sizes: [Int64] = []
        for rate in ratesBytesPerSecond {
            for _ in fanOuts { sizes.append(blobBytes(rate: rate, seconds: fillSeconds)) }
        }
        sizes.append(blobBytes(rate: fastRate, seconds: fillSeconds))
        sizes.append(blobBytes(rate: fastRate, seconds: fillSeconds))
        sizes.append(blobBytes(rate: slowRate, seconds: rangeFillSeconds))
        sizes.append(hotBlobBytes)
        if largeFanOutWaiters != nil { sizes.append(largeFanOutBlobBytes) }
        return sizes
    }
}
