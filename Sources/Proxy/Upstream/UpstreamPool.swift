import ProxyLoop

/// One loop's upstream connections: idle keep-alive connections by origin,
/// and the factory for new ones. Every upstream exchange started on a loop
/// runs on a connection from that loop's pool.
///
/// Confinement: loop-confined.
package final class UpstreamPool {
    let loop: EventLoop
    let resolver: Resolver
    let timeouts: UpstreamTimeouts
    let userAgent: String
    private let tlsContexts: TLSContextTable
    /// Idle connections by where they lead: the origin, and the proxy they go through.
    struct Route: Hashable {
        var origin: Origin
        var proxy: EgressProxy?
    }

    private var idle: [Route: [UpstreamConnection]] = [:]
    /// Connections in use, kept alive until they finish or fail.
    private var active: [ObjectIdentifier: UpstreamConnection] = [:]
    /// At most this many idle connections are kept per origin.
    let maximumIdlePerOrigin = 16
    /// Requests waiting for a `GET /v2/` probe of an upstream's node ids, by upstream
    /// (``probeNodeIDs(of:nodeID:_:)``).
    var nodeProbeWaiters: [ObjectIdentifier: [() -> Void]] = [:]
    /// The end of each such wait, held here because the loop holds timers weakly.
    var nodeProbeDeadlines: [ObjectIdentifier: any TimerTarget] = [:]

    package init(loop: EventLoop, resolver: Resolver, timeouts: UpstreamTimeouts, userAgent: String, tlsContexts: TLSContextTable) {
        self.loop = loop
        self.resolver = resolver
        self.timeouts = timeouts
        self.userAgent = userAgent
        self.tlsContexts = tlsContexts
    }

    /// An idle connection to `origin` (through `proxy`, nil = direct), or a new one.
    func connection(to origin: Origin, via proxy: EgressProxy? = nil) -> UpstreamConnection {
        let route = Route(origin: origin, proxy: proxy)
        while var list = idle[route], let reused = list.popLast() {
            idle[route] = list.isEmpty ? nil : list
            guard reused.isCleanForReuse else {
                reused.cancel()
                continue
            }
            active[ObjectIdentifier(reused)] = reused
            return reused
        }
        return makeConnection(origin: origin, via: proxy)
    }

    func makeConnection(origin: Origin, via proxy: EgressProxy? = nil) -> UpstreamConnection {
        let connection = UpstreamConnection(origin: origin, proxy: proxy, pool: self)
        active[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// Takes back a connection whose exchange ended with clean framing.
    func release(_ connection: UpstreamConnection) {
        active[ObjectIdentifier(connection)] = nil
        var list = idle[connection.route] ?? []
        if list.count >= maximumIdlePerOrigin {
            connection.cancel()
            return
        }
        list.append(connection)
        idle[connection.route] = list
    }

    /// Forgets a connection that closed (idle or active).
    func remove(_ connection: UpstreamConnection) {
        active[ObjectIdentifier(connection)] = nil
        if var list = idle[connection.route], let index = list.firstIndex(where: { $0 === connection }) {
            list.remove(at: index)
            idle[connection.route] = list.isEmpty ? nil : list
        }
    }

    func tlsContext(for origin: Origin) -> TLSClientContext {
        tlsContexts.context(for: origin)
    }

    /// Closes every connection (shutdown).
    package func closeAll() {
        for list in idle.values { for connection in list { connection.cancel() } }
        for connection in active.values { connection.cancel() }
        idle.removeAll()
        active.removeAll()
    }
}

/// The TLS client context to use per origin: upstreams may have their own CA
/// file or be explicitly insecure; redirect targets (CDNs) use the system
/// trust store, verified.
///
/// Sendable: immutable after `init`.
public final class TLSContextTable: Sendable {
    private let byHost: [String: TLSClientContext]
    private let fallback: TLSClientContext

    /// - Parameter upstreams: (host, caFile, verify) of each configured upstream.
    /// - Throws: `UpstreamError.tls` when a trust store cannot be loaded.
    public init(upstreams: [(host: String, caFile: String?, verify: Bool)]) throws(UpstreamError) {
        var table: [String: TLSClientContext] = [:]
        for upstream in upstreams where upstream.caFile != nil || !upstream.verify {
            table[upstream.host] = try TLSClientContext(caFile: upstream.caFile, verify: upstream.verify)
        }
        byHost = table
        fallback = try TLSClientContext(caFile: nil, verify: true)
    }

    func context(for origin: Origin) -> TLSClientContext {
        byHost[origin.host] ?? fallback
    }
}
