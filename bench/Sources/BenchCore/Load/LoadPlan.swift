/// What one load-generator run does: how many connections, which requests, closed- or
/// open-loop, and the few special clients the scenarios need (a slow or aborting first
/// client, late followers, background streams, connections held open).
public struct LoadPlan: Sendable {
    /// How requests are issued.
    public enum Mode: Sendable, Equatable {
        /// Each connection sends its next request when the previous one completed;
        /// `requestsPerConnection` nil = until `durationNs` ends.
        case closed(requestsPerConnection: Int?)
        /// Requests are due at a fixed rate whatever the server does; latency is measured
        /// from when each was due, so a stalled server is charged for the queue it causes
        /// (no coordinated omission). Runs for `durationNs`.
        case open(requestsPerSecond: Double)
    }

    /// How the first connection (the "leader", which starts the fill) behaves.
    public enum Leader: Sendable, Equatable {
        /// Like every other client (and measured with them).
        case normal
        /// Reads its body at most this fast (bytes/s); not measured.
        case readRate(bytesPerSecond: Int64)
        /// Closes its connection once this fraction of the body arrived; not measured.
        case abortAfter(fraction: Double)
        /// Sends `leaderRequest` like a normal client but is not measured.
        case unmeasured
    }

    /// Server address (IPv4 literal).
    public var host = "127.0.0.1"
    /// Server port.
    public var port: UInt16
    /// Requests, used round-robin per connection.
    public var requests: [LoadRequest]
    /// Concurrent connections (1 … 10 000+).
    public var connections: Int
    /// Closed or open loop.
    public var mode: Mode
    /// How long new requests are issued (closed loop without a count, and open loop).
    public var durationNs: Int64 = 0
    /// Hard stop: whatever is still running then is counted as unfinished and the run is
    /// marked capped.
    public var timeCapNs: Int64 = 60_000_000_000
    /// Most connects in flight at once (keeps SYN queues from overflowing at 10 000).
    public var maxPendingConnects = 256
    /// Closed loop: open every connection before the first request and time each request
    /// from when it is sent (S1N: a single-threaded client cannot open 10,000 connections
    /// while it reads bodies on the first ones, and that wait is the client's, not the server's).
    public var preconnect = false
    /// The first connection's behaviour.
    public var leader: Leader = .normal
    /// The first connection's request when it differs from `requests[0]`.
    public var leaderRequest: LoadRequest?
    /// Whether the run also waits for an unmeasured leader to finish its request (so that
    /// a fill it started completes before the run ends).
    public var waitForLeader = false
    /// The other connections start this long after the first one.
    public var followersDelayNs: Int64 = 0
    /// Extra connections streaming this request back to back, unmeasured, while the
    /// measured workload runs (the load that small requests must not wait behind).
    public var backgroundConnections = 0
    /// The background connections' request.
    public var backgroundRequest: LoadRequest?

    /// A plan for `connections` connections to `port`.
    public init(port: UInt16, requests: [LoadRequest], connections: Int, mode: Mode) {
        self.port = port
        self.requests = requests
        self.connections = connections
        self.mode = mode
    }
}
