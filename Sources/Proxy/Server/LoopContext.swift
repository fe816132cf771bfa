/// What one event loop owns besides the shared services: its upstream
/// connection pool and its observers of fills.
///
/// `@unchecked Sendable`: `pool`, `fillObservers` and `openConnections` are loop-confined (only
/// touched on `loop`'s thread, by connections of that loop and by tasks that
/// other threads send through `loop.execute`); the rest is immutable and
/// Sendable.
public final class LoopContext: @unchecked Sendable {
    public let loop: EventLoop
    public let shared: SharedServices
    let pool: UpstreamPool
    let fillObservers = FillObservers()
    /// Client connections open on this loop (for shutdown).
    var openConnections: [ObjectIdentifier: ClientConnection] = [:]
    /// Reused for every access-log line of this loop (no allocation per request).
    var accessLogBuffer: [UInt8] = []

    init(loop: EventLoop, shared: SharedServices) {
        self.loop = loop
        self.shared = shared
        pool = UpstreamPool(loop: loop, resolver: shared.resolver, timeouts: shared.upstreamTimeouts,
                            userAgent: SharedServices.userAgent, tlsContexts: shared.tlsContexts)
    }
}
