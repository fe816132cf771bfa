/// Every deadline the proxy enforces, on the client side and on the upstream side.
///
/// All are wall-clock `Duration`s except the minimum transfer rate. A stall timeout
/// measures time without progress (no byte moved), not the length of the whole exchange.
public struct Timeouts: Sendable, Equatable {
    /// Longest time from accepting a connection (or finishing the previous response)
    /// until the complete request head has arrived; defends against slow-header clients.
    public var requestHead: Duration
    /// How long an idle keep-alive client connection is kept open between requests.
    public var idleKeepAlive: Duration
    /// Longest time a client may leave our response unread (socket not writable)
    /// before the connection is closed.
    public var clientWriteStall: Duration
    /// Longest time to establish a TCP (and TLS) connection to an upstream.
    public var upstreamConnect: Duration
    /// Longest time an upstream may send nothing while a response is outstanding.
    public var upstreamReadStall: Duration
    /// Slowest acceptable upstream body rate, in bytes per second, averaged over
    /// ``upstreamMinimumRateWindow``; a slower fill is abandoned. 0 disables the check.
    public var upstreamMinimumRate: Int
    /// The window over which ``upstreamMinimumRate`` is averaged.
    public var upstreamMinimumRateWindow: Duration

    /// Creates timeouts; every parameter defaults to Cistern's built-in value.
    public init(
        requestHead: Duration = .seconds(30),
        idleKeepAlive: Duration = .seconds(60),
        clientWriteStall: Duration = .seconds(60),
        upstreamConnect: Duration = .seconds(10),
        upstreamReadStall: Duration = .seconds(30),
        upstreamMinimumRate: Int = 1024,
        upstreamMinimumRateWindow: Duration = .seconds(30)
    ) {
        self.requestHead = requestHead
        self.idleKeepAlive = idleKeepAlive
        self.clientWriteStall = clientWriteStall
        self.upstreamConnect = upstreamConnect
        self.upstreamReadStall = upstreamReadStall
        self.upstreamMinimumRate = upstreamMinimumRate
        self.upstreamMinimumRateWindow = upstreamMinimumRateWindow
    }
}
