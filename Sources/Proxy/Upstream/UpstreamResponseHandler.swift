/// Receives one upstream response. Confinement: called on the loop that
/// started the exchange, in order: head, body pieces, then finished or failed
/// (failed may also come first, or after some body).
public protocol UpstreamResponseHandler: AnyObject {
    func upstreamReceivedHead(_ head: UpstreamResponseHead)
    /// A piece of the (de-chunked) body; valid only during the call.
    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer)
    func upstreamFinished()
    func upstreamFailed(_ error: UpstreamError)
}
