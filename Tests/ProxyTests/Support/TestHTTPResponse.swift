/// One HTTP/1.1 response as `TestHTTPClient` read it off the wire, including how reading
/// ended, so tests can assert on truncation, resets and timing as well as on content.
struct TestHTTPResponse: Sendable {
    /// How reading the response ended.
    enum Ending: Equatable, Sendable {
        /// The message ended where its framing says (RFC 9112 section 6.3): no body, all
        /// Content-Length bytes, the last chunk and trailers, or the close of a body that is
        /// delimited by close.
        case complete
        /// The peer closed cleanly (FIN) before the message ended, possibly before any byte.
        case closedEarly
        /// The peer reset the connection (TCP RST, ECONNRESET) before the message ended.
        case reset
        /// The client's timeout passed first.
        case timedOut
        /// The client stopped on purpose after `stopAfterBodyByteCount` body bytes.
        case stoppedByClient
        /// The bytes are not a valid HTTP/1.1 response; the reason names what broke
        /// (`"status line"`, `"header line"`, `"chunk size"`, `"chunk data"`, `"head too large"`).
        case malformed(String)
        /// Another socket error (`errno`).
        case failed(Int32)
    }

    /// How the body is delimited (RFC 9112 section 6.3), decided once after the head.
    enum Framing: Equatable, Sendable {
        /// No body: HEAD request, 1xx, 204 or 304.
        case none
        /// Exactly this many bytes.
        case contentLength(Int)
        /// Transfer-Encoding: chunked.
        case chunked
        /// Until the server closes the connection.
        case untilClose
    }

    /// The status line as received (without CR LF), or nil when no head arrived.
    var statusLine: String?
    /// The status code, or nil when no valid status line arrived.
    var statusCode: Int?
    /// The reason phrase (may be empty).
    var reasonPhrase = ""
    /// Header fields in the order received, names in their original case.
    var headers: [TestHeaderField] = []
    /// Trailer fields after a chunked body, in order.
    var trailers: [TestHeaderField] = []
    /// The body bytes received (decoded from chunks when chunked; as many as arrived when the
    /// response ended early).
    var body: [UInt8] = []
    /// The body framing, or nil when the head never completed.
    var framing: Framing?
    /// How reading ended.
    var ending: Ending = .complete
    /// From the start of reading until the first byte of this response was available
    /// (zero when bytes were already buffered); nil when no byte arrived.
    var timeToFirstByte: Duration?
    /// From the start of reading until reading ended.
    var elapsed: Duration = .zero
    /// The size of the head in bytes, terminating blank line included (0 if incomplete).
    var headByteCount = 0

    /// The first value of header `name` (case-insensitive), or nil.
    func header(_ name: String) -> String? {
        headers.first(named: name)
    }

    /// Every value of header `name` (case-insensitive), in order received.
    func headerValues(_ name: String) -> [String] {
        headers.all(named: name)
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    /// Whether the whole message arrived.
    var isComplete: Bool {
        ending == .complete
    }
}
