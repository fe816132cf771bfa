import ProxySystem

/// A response body that is still arriving while it is sent (a fill's blob): the
/// connection asks it where the bytes at its offset are and how many may go now,
/// sends them with `sendfile` or `write`, and reports how many left.
///
/// The body owns its offset; the connection owns only the socket. Confinement: the
/// connection's loop.
package protocol StreamedBody: AnyObject {
    /// Where the next bytes are; see `BodySegment`.
    func nextSegment() -> BodySegment
    /// `count` bytes of the last segment were written to the socket.
    func consumed(_ count: Int)
    /// Starts telling `consumer` when more may be sendable (the connection writes it).
    func attach(_ consumer: StreamedBodyConsumer)
    /// Stops telling anyone (response finished or connection closed); idempotent.
    func detach()
}

/// Who writes a `StreamedBody`: told when a segment may have become available.
package protocol StreamedBodyConsumer: AnyObject {
    func streamedBodyChanged()
}

/// One step of a `StreamedBody`, from its current offset.
package enum BodySegment {
    /// `sendfile` bytes `[offset, end)` of `file`.
    case file(SharedFile, offset: Int64, end: Int64)
    /// `write` these bytes (valid until the next call on the body).
    case bytes(UnsafeRawBufferPointer)
    /// Nothing sendable yet: wait for `streamedBodyChanged`, not for the client.
    case wait
    /// Every byte was sent.
    case end
    /// The body cannot be completed: close with a reset before the declared length, so no
    /// client mistakes a cut-short body for a whole one. `reason` is logged when given.
    case abort(reason: String?)
}

/// An answer that is not ready yet (a waiter for a fill's size): the connection keeps
/// it alive and cancels it when the request ends another way or the connection closes.
package protocol PendingAnswer: AnyObject {
    func cancel()
}
