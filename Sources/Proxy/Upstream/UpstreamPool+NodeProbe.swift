import ProxyHTTP

extension UpstreamPool {
    /// Runs `continuation` on this loop once `registry` has answered anything, so that its
    /// node ids (``UpstreamNodeIDs``) are known: at once when it has, else after one
    /// `GET /v2/` probe. Probes of one upstream on one loop are coalesced. A probe that fails
    /// (the upstream is down) still runs the waiters: the request then fails or succeeds on
    /// its own, as it would have without the probe.
    ///
    /// Only requests that came through another proxy (they carry `Via`) wait for this: the
    /// probe costs one `/v2/` round trip per upstream, once. The `/v2/` of a Cistern answers
    /// locally, never from a flight, so the probe cannot itself be caught in a ring.
    /// - Parameter nodeID: this node's Via received-by, appended to the probe's `Via`.
    package func probeNodeIDs(of registry: UpstreamRegistry, nodeID: String, _ continuation: @escaping () -> Void) {
        loop.assertOnLoop()
        guard !registry.nodeIDs.hasAnswered else { return continuation() }
        let key = ObjectIdentifier(registry)
        if nodeProbeWaiters[key] != nil {
            nodeProbeWaiters[key]?.append(continuation)
            return
        }
        nodeProbeWaiters[key] = [continuation]
        let origin = registry.origin
        let probe = BufferedUpstreamResponse(limit: 64 * 1024) { [self] result in
            if case .success(let (head, _)) = result { registry.nodeIDs.learn(fromVia: head.fieldValues("via")) }
            let waiters = nodeProbeWaiters.removeValue(forKey: key) ?? []
            for waiter in waiters { waiter() }
        }
        let request = UpstreamRequest(method: .get, origin: origin, pathAndQuery: registry.basePath + "/v2/",
                                      fields: [("Via", ViaField.appending(nil, receivedBy: nodeID))])
        connection(to: origin, via: registry.egress.proxy(for: origin)).start(request, handler: probe)
    }
}
