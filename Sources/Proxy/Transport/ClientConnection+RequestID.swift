import ProxyHTTP

/// The request id of each request: taken from the client's `X-Request-ID` when sane, else
/// made by the loop's generator; logged, and sent back in the response's `X-Request-ID`.
extension ClientConnection {
    /// Sets the id of the request that starts now (`received` is the client's, if sane).
    func assignRequestID(received: RequestID?) {
        logRequestID = received ?? context.requestIDs.next()
    }

    /// The current request's id as text (allocates: asked only when a request goes upstream).
    var requestIDText: String { logRequestID.text }

    /// Adds `X-Request-ID: <id>` (and the node's `Via`, ``ConnectionContext/responseViaField``)
    /// to the serialized response head at the end of `head` (which ends with the blank line
    /// `\r\n\r\n`), in place: no allocation.
    func appendRequestIDField(toHead head: inout [UInt8]) {
        guard head.count >= 4, head[head.count - 1] == 0x0A, head[head.count - 2] == 0x0D else { return }
        head.removeLast(2)
        head.append(contentsOf: context.responseViaField)
        head.append(contentsOf: "X-Request-ID: ".utf8)
        logRequestID.append(to: &head)
        head.append(contentsOf: "\r\n\r\n".utf8)
    }
}
