import ProxyHTTP
import ProxyLoop
import ProxySystem

extension UpstreamPool {
    /// The longest a request with `Via` waits for the probe (nanoseconds): a Cistern's `/v2/`
    /// answers locally in milliseconds, so a ring is still seen; an upstream that is silent
    /// (it accepts and never answers, or is unreachable) no longer holds such requests for
    /// the upstream read timeout, which a cached answer never waits for.
    static let nodeProbeWaitLimit: Int64 = 2_000_000_000

    /// Runs `continuation` on this loop once `registry` has answered anything, so that its
    /// node ids (``UpstreamNodeIDs``) are known: at once when it has, else after one
    /// `GET /v2/` probe. Probes of one upstream on one loop are coalesced. A probe that fails
    /// (the upstream is down), or that has not answered within ``nodeProbeWaitLimit``, still
    /// runs the waiters, and later requests no longer wait (``UpstreamNodeIDs/stopWaiting()``;
    /// the ids are still learned from any answer): the request then fails or succeeds on its
    /// own, as it would have without the probe.
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
        // Runs the waiters once: on the probe's answer or failure, or at the deadline.
        let release: () -> Void = { [self] in
            nodeProbeDeadlines[key] = nil
            guard let waiters = nodeProbeWaiters.removeValue(forKey: key) else { return }
            for waiter in waiters { waiter() }
        }
        let origin = registry.origin
        let probe = BufferedUpstreamResponse(limit: 64 * 1024) { result in
            switch result {
            case .success(let (head, _)): registry.nodeIDs.learn(fromVia: head.fieldValues("via"))
            case .failure: registry.nodeIDs.stopWaiting()
            }
            release()
        }
        let request = UpstreamRequest(method: .get, origin: origin, pathAndQuery: registry.basePath + "/v2/",
                                      fields: [("Via", ViaField.appending(nil, receivedBy: nodeID))])
        connection(to: origin, via: registry.egress.proxy(for: origin)).start(request, handler: probe)
        guard nodeProbeWaiters[key] != nil else { return }  // answered (or failed) already
        let deadline = NodeProbeDeadline {
            registry.nodeIDs.stopWaiting()
            release()
        }
        nodeProbeDeadlines[key] = deadline
        loop.arm(deadline, at: MonotonicClock.now() + Self.nodeProbeWaitLimit)
    }
}

/// The end of the wait for a node-id probe (``UpstreamPool/nodeProbeWaitLimit``). Loop-confined.
private final class NodeProbeDeadline: TimerTarget {
    private let fire: () -> Void

    init(_ fire: @escaping () -> Void) {
        self.fire = fire
    }

    func timerFired(now: Int64) {
        fire()
    }
}
