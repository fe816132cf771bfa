/// How the fake upstream sends one response: timing and framing faults decided from the
/// matching behaviours. The default plan sends the response promptly and correctly.
struct FakeUpstreamDeliveryPlan: Equatable, Sendable {
    /// Where body delivery ends early.
    enum Cut: Equatable, Sendable {
        /// TCP RST after this many body bytes.
        case reset(afterBodyByteCount: Int)
        /// Clean close (FIN) after this many body bytes.
        case close(afterBodyByteCount: Int)

        /// Body bytes sent before the cut.
        var afterBodyByteCount: Int {
            switch self {
            case .reset(let count), .close(let count): count
            }
        }
    }

    /// A pause inside the body.
    struct Stall: Equatable, Sendable {
        /// Body bytes sent before the pause (0: right after the head).
        var afterBodyByteCount: Int
        /// How long nothing is sent.
        var duration: Duration
    }

    /// Chunked framing (RFC 9112 section 7.1).
    struct Chunking: Equatable, Sendable {
        /// Payload bytes per chunk (at least 1).
        var chunkByteCount: Int
        /// Whether the second chunk-size line is malformed (then the connection closes).
        var malformedSize: Bool
    }

    /// Wait before the first byte of the response.
    var delayBeforeHeaders: Duration = .zero
    /// Close the connection (FIN) instead of answering.
    var closesBeforeAnswer = false
    /// A line sent instead of the real status line (then the connection closes).
    var statusLineOverride: String?
    /// Body pacing; nil sends as fast as the socket takes it.
    var throttleBytesPerSecond: Int?
    /// A pause inside the body.
    var stall: Stall?
    /// An early end of the body.
    var cut: Cut?
    /// Bytes sent after the body beyond Content-Length.
    var extraBodyByteCount = 0
    /// Chunked framing instead of Content-Length.
    var chunking: Chunking?

    /// Whether the connection must close after this response regardless of keep-alive.
    var closesConnection: Bool {
        closesBeforeAnswer || statusLineOverride != nil || cut != nil || chunking?.malformedSize == true
    }
}
