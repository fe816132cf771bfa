import ProxyHTTP
import ProxyLogging
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport

/// Loop detection between mirrors: a request whose `Via` (RFC 9110 section 7.6.3) already
/// names this node went round a ring of mirrors (A's upstream is B, B's is A). It is answered
/// 508 LOOP_DETECTED with an OCI error body at once, before any cache lookup, flight join or
/// upstream request, with one warning line.
///
/// Why before the flight join: the request that reaches A again is made for A's own flight
/// leader (A → B → A); joining that flight would make it wait for itself, and both nodes would
/// hang until a timeout. Answering 508 instead fails B's flight, which relays the 508 to A's
/// flight (never retried, never served stale over), which answers the client.
enum LoopDetection {
    /// Answers request `id` with 508 and returns true when `via` names `context.nodeID`;
    /// returns false (and does nothing) otherwise. Loop thread.
    static func refusedLoop(_ head: RequestHead, via: String, connection: any ClientResponder, context: LoopContext) -> Bool {
        guard ViaField.names(via, receivedBy: context.nodeID) else { return false }
        context.shared.logger.warning("request loop detected: its Via already names this node; answered 508 (check the upstream URLs of the mirrors named in Via)", metadata: [
            "node": "\(context.nodeID)", "method": "\(head.method.token)", "path": "\(LogRedaction.target(head.target))", "via": "\(via)",
        ])
        let error = RegistryError.loopDetected("Via: \(via) already names \(context.nodeID)")
        connection.respond(connection.requestID, error: error, headOnly: head.method == .head)
        return true
    }

    /// The one-hop-earlier check, for a request that came through another proxy (`via`) and
    /// routes to a remote registry: returns true when it handled the request here, false to
    /// go on. It handles it by
    /// - deferring it until that upstream has answered anything, so its node ids are known
    ///   (one `GET /v2/` probe, ``UpstreamPool/probeNodeIDs(of:nodeID:_:)``); `retry` then
    ///   runs on this loop with the request, and `probed` is true on that second pass;
    /// - or answering 508 when `via` names a node behind that upstream: the request came from
    ///   the mirror this node would forward it to. In a ring whose two nodes are asked for one
    ///   digest at the same moment, this is what stops each node's forwarded request from
    ///   joining the other's flight (a wait for each other that own-id detection, which needs
    ///   the request to come all the way back, never ends).
    /// Loop thread.
    static func heldOrRefusedBeforeUpstream(_ head: RequestHead, via: String, route: RegistryRoute, query: RequestQuery, probed: Bool,
                                           connection: any ClientResponder, context: LoopContext, retry: @escaping () -> Void) -> Bool {
        guard let name = route.repository, let index = try? context.shared.routes.routeIndex(for: name, tag: route.tag, ns: query.ns),
              let upstream = context.shared.routeUpstreams[index] else { return false }
        if !probed, !upstream.nodeIDs.hasAnswered {
            context.pool.probeNodeIDs(of: upstream, nodeID: context.nodeID, retry)
            return true
        }
        guard let node = upstream.nodeIDs.loopingNode(inRequestVia: via) else { return false }
        context.shared.logger.warning("request loop detected: its Via names \(node), a node behind upstream \(upstream.name), which this request would be sent to; answered 508 (check the upstream URLs of the mirrors named in Via)", metadata: [
            "node": "\(context.nodeID)", "method": "\(head.method.token)", "path": "\(LogRedaction.target(head.target))", "via": "\(via)",
        ])
        let error = RegistryError.loopDetected("Via: \(via) names \(node), which stands behind upstream \(upstream.name)")
        connection.respond(connection.requestID, error: error, headOnly: head.method == .head)
        return true
    }
}

extension RegistryRoute {
    /// The repository a registry endpoint names; nil for `/v2/` and the operational routes.
    var repository: RepositoryName? {
        switch self {
        case .manifest(let name, _), .blob(let name, _), .tagsList(let name), .referrers(let name, _), .blobUpload(let name, _): name
        case .base, .health, .readiness, .metrics, .token: nil
        }
    }

    /// The tag a manifest request names (a `repo:tag` route may match it); nil otherwise.
    var tag: String? {
        if case .manifest(_, .tag(let tag)) = self { return tag.string }
        return nil
    }
}
