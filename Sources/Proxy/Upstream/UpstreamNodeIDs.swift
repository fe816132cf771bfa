import ProxyHTTP
import ProxySystem

/// The Cistern node ids that stand behind one upstream URL, learned from the
/// `Via: 1.1 <node-id> (cistern)` on its responses (``ViaField/cisternNodes(in:)``).
///
/// Why: in a ring of mirrors (A's upstream is B, B's is A) two clients asking A and B for the
/// same digest at the same moment make each node's forwarded request join the other's
/// flight, and both wait for each other. Own-id detection never fires there, because neither
/// request has come back to the node that sent it. A node that knows its upstream's ids sees
/// the ring one hop earlier: a request whose `Via` names a node behind the upstream it would
/// be sent to came from that upstream, and is answered 508 before any flight join.
///
/// Shared by every loop: the set sits behind a pthread lock, held only to copy or insert.
public final class UpstreamNodeIDs: Sendable {
    /// At most this many ids are kept per upstream (a fleet behind a load balancer answers
    /// with each of its nodes in turn).
    public static let capacity = 64

    private struct State: Sendable {
        var hasAnswered = false
        var ids: Set<String> = []
    }
    private let state = Locked(State())

    public init() {}

    /// Whether any response from the upstream has been seen yet, or a probe gave up waiting
    /// for one (``stopWaiting()``); until then a request that came through another proxy waits
    /// for a `GET /v2/` probe (``UpstreamPool/probeNodeIDs(of:nodeID:_:)``).
    public var hasAnswered: Bool { state.withLock(\.hasAnswered) }

    /// A probe failed or outlasted its wait: requests with `Via` no longer wait for one (the
    /// upstream is silent, so no ring runs through it now); ids are still learned from any
    /// later answer.
    public func stopWaiting() {
        state.withLock { $0.hasAnswered = true }
    }

    /// Records the Cistern entries of one response's `Via` values (none when the upstream
    /// is not a Cistern: it has then answered, with no ids).
    public func learn(fromVia values: [String]) {
        let learned = values.flatMap(ViaField.cisternNodes(in:))
        state.withLock { state in
            state.hasAnswered = true
            for id in learned where state.ids.count < Self.capacity { state.ids.insert(id) }
        }
    }

    /// The first node id of `via` (a request's joined Via value) that stands behind this
    /// upstream, or nil.
    public func loopingNode(inRequestVia via: String) -> String? {
        let ids = state.withLock(\.ids)
        guard !ids.isEmpty else { return nil }
        return ids.first { ViaField.names(via, receivedBy: $0) }
    }
}
