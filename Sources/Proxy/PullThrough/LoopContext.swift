import ProxyLoop
import ProxyUpstream

/// What one event loop owns for pull-through besides the shared services: its upstream
/// connection pool and its observers of fills.
///
/// `@unchecked Sendable`: `pool` and `fillObservers` are loop-confined (only touched on
/// `loop`'s thread, by connections of that loop and by tasks that other threads send
/// through `loop.execute`); the rest is immutable and Sendable.
public final class LoopContext: @unchecked Sendable {
    public let loop: EventLoop
    public let shared: SharedServices
    package let pool: UpstreamPool
    let fillObservers: FillObservers
    /// This node's name in `Via` (``Configuration/resolvedNodeID(boundPort:)``): appended to
    /// every upstream request's chain, and looked for in incoming ones (loop detection).
    public let nodeID: String

    /// - Parameter nodeID: this node's Via received-by; default: the configured `node_id`, or
    ///   the host name plus the configured listen port.
    package init(loop: EventLoop, shared: SharedServices, nodeID: String? = nil) {
        self.loop = loop
        self.shared = shared
        self.nodeID = nodeID ?? shared.configuration.resolvedNodeID(boundPort: shared.configuration.listen.port)
        fillObservers = FillObservers(loop: loop)
        pool = UpstreamPool(loop: loop, resolver: shared.resolver, timeouts: shared.upstreamTimeouts,
                            userAgent: SharedServices.userAgent, tlsContexts: shared.tlsContexts)
    }
}
