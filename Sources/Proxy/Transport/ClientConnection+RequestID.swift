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
        Self.append("X-Request-ID: ", to: &head)
        logRequestID.append(to: &head)
        Self.append("\r\n\r\n", to: &head)
    }

    /// One bulk copy (`append(contentsOf: "…".utf8)` takes the generic sequence path).
    private static func append(_ literal: StaticString, to head: inout [UInt8]) {
        head.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
