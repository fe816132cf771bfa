/// One client connection of the load generator and the exchange it is in: where the request
/// bytes are, how the response is framed, how much body arrived.
///
/// Confinement: the generator's thread.
final class LoadConnection {
    enum Role { case leader, follower, background }
    enum Phase { case unstarted, connecting, writing, readingHead, readingBody, idle, finished }
    /// How the response body ends (RFC 9112 section 6.3), decided once after the head.
    enum Framing { case none, length, chunked, untilClose }

    let slot: Int
    let role: Role
    var fd: Int32 = -1
    var generation: UInt32 = 0
    var phase = Phase.unstarted
    var requestIndex = 0
    var completedCount = 0

    // The current exchange.
    var request: [UInt8] = []
    var writeOffset = 0
    var verifyHex: String?
    var isHead = false
    var startNs: Int64 = 0
    var firstByteNs: Int64 = 0
    var status = 0
    var framing = Framing.none
    var bodyRemaining: Int64 = 0
    var bodyLength: Int64 = -1
    var bodyReceived: Int64 = 0
    var keepAlive = true
    var hasher: SHA256Hasher?
    var chunked = ChunkedBodyDecoder()
    var headBytes: [UInt8] = []

    // Leader throttling: bytes read since `readStartNs`, and when reading may resume.
    var readStartNs: Int64 = 0
    var readTotal: Int64 = 0
    var resumeAtNs: Int64 = .max
    /// Whether it used up its read budget with bytes still waiting (edge-triggered: no new
    /// event will come for them, so the generator comes back to it after the others).
    var isPendingRead = false

    init(slot: Int, role: Role) {
        self.slot = slot
        self.role = role
    }

    /// The epoll token: slot in the low half, generation in the high half (stale events
    /// for an earlier descriptor of this slot are dropped).
    var token: UInt64 { UInt64(slot) | UInt64(generation) << 32 }

    /// Prepares the exchange for `rendered` (the request head), started at `startNs`.
    func beginExchange(rendered: [UInt8], verifyHex: String?, isHead: Bool, startNs: Int64) {
        request = rendered
        writeOffset = 0
        self.verifyHex = verifyHex
        self.isHead = isHead
        self.startNs = startNs
        firstByteNs = 0
        status = 0
        framing = .none
        bodyRemaining = 0
        bodyLength = -1
        bodyReceived = 0
        hasher = nil
        headBytes.removeAll(keepingCapacity: true)
    }

    /// Parses the head from `headBytes` (with the generator's own parser, not Cistern's);
    /// on success decides the framing and returns the head's length, else 0 (partial) or
    /// -1 (invalid).
    func parseHead() -> Int {
        let outcome = headBytes.withUnsafeBytes { ResponseHeadParser.parse($0) }
        let head: ResponseHeadParser.Head
        switch outcome {
        case .partial: return 0
        case .invalid: return -1
        case .complete(let complete): head = complete
        }
        status = head.status
        keepAlive = !head.connectionClose && head.versionMinor == 1
        // RFC 9112 section 6.3: HEAD, 1xx, 204 and 304 have no body whatever the fields say.
        if isHead || status == 204 || status == 304 || status < 200 {
            framing = .none
        } else if head.chunked {
            framing = .chunked
            chunked = ChunkedBodyDecoder()
        } else if head.contentLength >= 0 {
            framing = head.contentLength == 0 ? .none : .length
            bodyRemaining = head.contentLength
            bodyLength = head.contentLength
        } else {
            framing = .untilClose
            keepAlive = false
        }
        if verifyHex != nil, framing != .none { hasher = SHA256Hasher() }
        return head.length
    }

    /// Whether the body's digest matches the expected one (true when not verifying).
    func digestMatches() -> Bool {
        guard let verifyHex else { return true }
        let hasher = self.hasher ?? SHA256Hasher()
        return hasher.finalizeHex() == verifyHex
    }
}
