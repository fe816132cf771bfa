/// What one event loop owns besides the shared services: its upstream
/// connection pool and its observers of fills.
///
/// `@unchecked Sendable`: `pool`, `fillObservers`, `openConnections`,
/// `accessLogBuffer` and `responseBuffer` are loop-confined (only touched on
/// `loop`'s thread, by connections of that loop and by tasks that other
/// threads send through `loop.execute`); the rest is immutable and Sendable.
public final class LoopContext: @unchecked Sendable {
    public let loop: EventLoop
    public let shared: SharedServices
    let pool: UpstreamPool
    let fillObservers: FillObservers
    /// Client connections open on this loop (for shutdown).
    var openConnections: [ObjectIdentifier: ClientConnection] = [:]
    /// Reused for every access-log line of this loop (no allocation per request).
    var accessLogBuffer: [UInt8] = []
    /// A response buffer (head and small body) handed from one finished
    /// response to the next, so small responses allocate nothing; see
    /// `ClientConnection.releasePending`.
    var responseBuffer: [UInt8] = []
    /// The client timeouts in nanoseconds, converted once: every request
    /// reads them several times.
    let requestHeadTimeoutNanoseconds: Int64
    let idleKeepAliveTimeoutNanoseconds: Int64
    let clientWriteStallTimeoutNanoseconds: Int64

    init(loop: EventLoop, shared: SharedServices) {
        self.loop = loop
        self.shared = shared
        fillObservers = FillObservers(loop: loop)
        let timeouts = shared.configuration.timeouts
        requestHeadTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.requestHead)
        idleKeepAliveTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.idleKeepAlive)
        clientWriteStallTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.clientWriteStall)
        pool = UpstreamPool(loop: loop, resolver: shared.resolver, timeouts: shared.upstreamTimeouts,
                            userAgent: SharedServices.userAgent, tlsContexts: shared.tlsContexts)
    }
}
