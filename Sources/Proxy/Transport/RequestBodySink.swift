/// Who takes a request body (a pushed blob or manifest) from the connection, piece by piece,
/// as it arrives: bytes are never gathered into one buffer.
///
/// Back-pressure: the connection reads the socket only after `received` returned, so a sink
/// that writes each piece to disk before returning holds the client to the disk's pace (the
/// TCP window does the rest). Confinement: the connection's loop.
package protocol RequestBodySink: AnyObject {
    /// The next body bytes, in order, valid only during the call (at most the read buffer,
    /// about 80 KiB). Must not answer the request: answer from `ended`. Return false to stop
    /// reading; `ended(.stopped)` follows.
    func received(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// How the body ended; called once, after which no bytes come. The sink answers the
    /// request now or later (`.failed` because the client went away: the answer is dropped).
    func ended(_ end: RequestBodyEnd)
}

/// How a request body ended for its ``RequestBodySink``.
package enum RequestBodyEnd: Equatable {
    /// Every byte arrived (the declared length, or the last chunk).
    case complete
    /// The sink returned false from `received`; unread bytes are left unread and the
    /// connection closes after the answer.
    case stopped
    /// The body cannot be completed: `malformed` chunked framing (answer 400), or the client
    /// closed, failed or stalled (the connection is closed; any answer is dropped).
    case failed(reason: String, malformed: Bool)
}
