import ProxyHTTP
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
            "node": "\(context.nodeID)", "method": "\(head.method.token)", "path": "\(head.target)", "via": "\(via)",
        ])
        let error = RegistryError.loopDetected("Via: \(via) already names \(context.nodeID)")
        connection.respond(connection.requestID, error: error, headOnly: head.method == .head)
        return true
    }
}
