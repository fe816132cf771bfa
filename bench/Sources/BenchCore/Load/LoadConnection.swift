import CEpoll

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
    var chunked = cep_chunked()
    var headBytes: [UInt8] = []
    var head = cep_http_head()
    private let fields: UnsafeMutablePointer<cep_http_field>

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
        fields = .allocate(capacity: 64)
        head.fields = fields
        head.fields_cap = 64
    }

    deinit { fields.deallocate() }

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
        cep_http_reset(&head)
    }

    /// Parses the head from `headBytes`; on success decides the framing and returns the
    /// head's length, else 0 (partial) or -1 (invalid).
    func parseHead() -> Int {
        let rc = headBytes.withUnsafeBytes { raw in
            cep_http_parse_response(&head, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        if rc == CEP_HTTP_PARTIAL { return 0 }
        if rc < 0 { return -1 }
        status = Int(head.status)
        keepAlive = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) == 0 && head.version_minor == 1
        // RFC 9112 section 6.3: HEAD, 1xx, 204 and 304 have no body whatever the fields say.
        if isHead || status == 204 || status == 304 || status < 200 {
            framing = .none
        } else if head.flags & UInt32(CEP_HTTP_F_CHUNKED) != 0 {
            framing = .chunked
            chunked = cep_chunked()
        } else if head.content_length >= 0 {
            framing = head.content_length == 0 ? .none : .length
            bodyRemaining = head.content_length
            bodyLength = head.content_length
        } else {
            framing = .untilClose
            keepAlive = false
        }
        if verifyHex != nil, framing != .none { hasher = SHA256Hasher() }
        return Int(rc)
    }

    /// Whether the body's digest matches the expected one (true when not verifying).
    func digestMatches() -> Bool {
        guard let verifyHex else { return true }
        let hasher = self.hasher ?? SHA256Hasher()
        return hasher.finalizeHex() == verifyHex
    }
}
