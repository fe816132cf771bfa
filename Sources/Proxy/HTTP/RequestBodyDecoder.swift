import CEpoll

/// The framing of one request body (RFC 9112 section 6.3), chosen once from the head:
/// `Content-Length` bytes, or the chunked transfer coding (section 7.1), decoded in place
/// over the caller's buffer. Pure state, no I/O: the connection feeds it what it read and
/// delivers what it says is body.
///
/// Invariant: `remaining >= 0`; after `.complete` or `.invalid` no further call is made.
public struct RequestBodyDecoder {
    /// What one `decode` call found.
    public struct Step: Equatable {
        /// The first `bodyCount` bytes of the buffer are body data (in place, possibly 0).
        public var bodyCount: Int
        /// After `bodyCount`, this many bytes are kept for the next message (pipelined bytes
        /// after a complete body); every other byte was consumed.
        public var keptCount: Int
        public var status: Status
    }

    public enum Status: Equatable {
        /// More body bytes are needed.
        case needMore
        /// The body ended in these bytes.
        case complete
        /// Malformed chunked framing: answer 400 and close.
        case invalid
    }

    private var remaining: Int64
    private var chunked: cep_chunked?

    /// - Parameters:
    ///   - contentLength: the declared length (ignored when `chunked`; -1 or 0 = no body).
    ///   - chunked: `Transfer-Encoding: chunked` (the parser refuses any other coding).
    public init(contentLength: Int64, chunked: Bool) {
        remaining = chunked ? 0 : max(0, contentLength)
        self.chunked = chunked ? cep_chunked() : nil
    }

    /// Whether the body is already complete before any byte (no body at all).
    public var isEmpty: Bool { chunked == nil && remaining == 0 }

    /// Decodes the bytes of `buffer` (chunked framing is removed in place).
    public mutating func decode(_ buffer: UnsafeMutableRawBufferPointer) -> Step {
        guard var decoder = chunked else {
            let body = Int(min(remaining, Int64(buffer.count)))
            remaining -= Int64(body)
            return Step(bodyCount: body, keptCount: buffer.count - body, status: remaining == 0 ? .complete : .needMore)
        }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return Step(bodyCount: 0, keptCount: 0, status: .needMore) }
        var length = buffer.count
        let rc = cep_chunked_decode(&decoder, base.assumingMemoryBound(to: CChar.self), &length)
        chunked = decoder
        if rc == CEP_HTTP_PARTIAL { return Step(bodyCount: length, keptCount: 0, status: .needMore) }
        if rc < 0 { return Step(bodyCount: 0, keptCount: 0, status: .invalid) }
        return Step(bodyCount: length, keptCount: rc, status: .complete)
    }
}
