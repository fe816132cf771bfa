import Histogram

/// What a load-generator run measured. Latencies are in microseconds, from when each
/// request was started (closed loop: connect or send; open loop: when it was due).
public struct LoadResult: Sendable {
    /// Time to the first response byte, per measured request (µs).
    public var ttfb = LatencySummary.makeHistogram()
    /// Time to the first response byte of every measured request that got one, finished or
    /// not (µs): a fan-out cut off by its time cap still reports every waiter's first byte.
    public var firstByte = LatencySummary.makeHistogram()
    /// Time to the last body byte, per measured request (µs).
    public var ttlb = LatencySummary.makeHistogram()
    /// Measured requests that completed with a 2xx status (and matching digest if verified).
    public var succeeded = 0
    /// Measured requests that failed: connection error, non-2xx status, bad framing.
    public var failed = 0
    /// Measured requests whose body digest did not match.
    public var digestMismatches = 0
    /// Measured requests still running when the time cap hit.
    public var unfinished = 0
    /// Whether the time cap ended the run.
    public var capped = false
    /// Body bytes received by measured requests.
    public var bodyByteCount: Int64 = 0
    /// Body bytes received by background streams.
    public var backgroundByteCount: Int64 = 0
    /// Statuses seen (measured requests).
    public var statusCounts: [Int: Int] = [:]
    /// Wall time of the measured workload (ns), from start to the last completion.
    public var wallNs: Int64 = 0
    /// CPU time the load generator's thread used (ns, user + system).
    public var cpuNs: Int64 = 0

    /// An empty result.
    public init() {}

    /// Completed measured requests per second of wall time.
    public var requestsPerSecond: Double {
        wallNs > 0 ? Double(succeeded) * 1e9 / Double(wallNs) : 0
    }

    /// Measured body throughput in GiB/s.
    public var gibibytesPerSecond: Double {
        wallNs > 0 ? Double(bodyByteCount) / Double(1 << 30) * 1e9 / Double(wallNs) : 0
    }

    /// Share of one CPU the load generator used (1.0 = its core was saturated: then it,
    /// not the server, may be the bottleneck).
    public var loadGeneratorCPUShare: Double {
        wallNs > 0 ? Double(cpuNs) / Double(wallNs) : 0
    }
}
