import CEpoll
import Glibc

/// One client connection of a harness server: request bytes in, one response at a time out.
///
/// Confinement: the worker thread that accepted it.
final class ServerConnection {
    /// What writing the current response achieved.
    enum PumpResult { case finished, wouldBlock, throttled, yielded, failed }
    /// What parsing the inbound bytes found.
    enum ParseResult { case partial, invalid, request(BenchRequest) }

    let fd: Int32
    let slot: Int
    let token: UInt64
    var inbound: [UInt8] = []
    var isClosed = false
    var wantsWritable = false
    var isThrottledListed = false
    var isReadyListed = false
    private(set) var keepAlive = true
    private(set) var isResponding = false

    private var head = cep_http_head()
    private let fields = UnsafeMutablePointer<cep_http_field>.allocate(capacity: 64)
    private var outHead: [UInt8] = []
    private var outHeadOffset = 0
    private var body: BenchResponse.Body = .none(contentLength: 0)
    private var bodyOffset: Int64 = 0
    private var bodyEnd: Int64 = 0
    private var countKey: String?
    private var inlineBodyByteCount: Int64 = 0
    private var rateBytesPerSecond: Int64 = 0
    private var tokens: Int64 = 0
    private var lastRefillNs: Int64 = 0

    init(fd: Int32, slot: Int, token: UInt64) {
        self.fd = fd
        self.slot = slot
        self.token = token
        head.fields = fields
        head.fields_cap = 64
    }

    deinit { fields.deallocate() }

    /// Parses a complete request head from the front of `inbound` and removes it.
    func parseRequest() -> ParseResult {
        guard !inbound.isEmpty else { return .partial }
        let rc = inbound.withUnsafeBytes { raw in
            cep_http_parse_request(&head, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        if rc == CEP_HTTP_PARTIAL { return .partial }
        if rc < 0 { return .invalid }
        let request = inbound.withUnsafeBytes { raw -> BenchRequest in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            func text(_ offset: UInt32, _ length: UInt32) -> String {
                String(decoding: raw[Int(offset)..<Int(offset + length)], as: UTF8.self)
            }
            var range: String?
            for i in 0..<Int(head.field_count) where cep_http_field_is(base, fields + i, "range", 5) != 0 {
                range = text(fields[i].value_off, fields[i].value_len)
            }
            let close = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) != 0 || head.version_minor == 0
            return BenchRequest(method: text(head.method_off, head.method_len),
                                target: text(head.target_off, head.target_len),
                                range: range, closeRequested: close)
        }
        inbound.removeFirst(Int(rc))
        cep_http_reset(&head)
        return .request(request)
    }

    /// Starts sending `response` (no body bytes for HEAD).
    func begin(_ response: BenchResponse, isHead: Bool, keepAlive: Bool) {
        self.keepAlive = keepAlive
        outHead = response.headBytes(keepAlive: keepAlive)
        outHeadOffset = 0
        body = isHead ? .none(contentLength: 0) : response.body
        switch body {
        case .none: bodyOffset = 0; bodyEnd = 0; inlineBodyByteCount = 0
        case .bytes(let bytes):
            outHead += bytes  // small bodies go out with the head
            inlineBodyByteCount = Int64(bytes.count)
            bodyOffset = 0; bodyEnd = 0
        case .synthetic(_, let range), .file(_, let range):
            bodyOffset = range.lowerBound; bodyEnd = range.upperBound
            inlineBodyByteCount = 0
        }
        countKey = response.countKey
        rateBytesPerSecond = response.rateBytesPerSecond
        tokens = burstBytes
        lastRefillNs = BenchClock.nowNs()
        isResponding = true
    }

    /// Largest burst a throttled body may send at once: 20 ms worth, at least 16 KiB.
    private var burstBytes: Int64 { max(16 * 1024, rateBytesPerSecond / 50) }

    /// Writes as much of the response as the socket and the throttle allow.
    func pump(now: Int64, responder: BenchResponder) -> PumpResult {
        while outHeadOffset < outHead.count {
            let n = outHead.withUnsafeBytes { cep_write(fd, $0.baseAddress! + outHeadOffset, $0.count - outHeadOffset) }
            if n == -Int(EAGAIN) { return .wouldBlock }
            if n <= 0 { return .failed }
            outHeadOffset += n
        }
        if rateBytesPerSecond > 0 {
            tokens = min(burstBytes, tokens + rateBytesPerSecond * (now - lastRefillNs) / 1_000_000_000)
            lastRefillNs = now
        }
        var sent: Int64 = 0
        defer {
            if sent > 0, let countKey { responder.sentBody(byteCount: sent, key: countKey) }
        }
        // A reader that never fills its socket would otherwise get the whole body before
        // anyone else on this thread is served: yield after a few writes.
        var writesLeft = 4
        while bodyOffset < bodyEnd {
            if writesLeft == 0 { return .yielded }
            writesLeft -= 1
            var limit = min(bodyEnd - bodyOffset, 512 * 1024)
            if rateBytesPerSecond > 0 {
                if tokens <= 0 { return .throttled }
                limit = min(limit, tokens)
            }
            let n: Int
            switch body {
            case .synthetic(let blob, _):
                n = blob.withContiguousBytes(at: bodyOffset, limit: limit) { cep_write(fd, $0.baseAddress, $0.count) }
            case .file(let fileFD, _):
                var offset = bodyOffset
                n = cep_sendfile(fd, fileFD, &offset, Int(limit))
            case .none, .bytes:
                n = 0
            }
            if n == -Int(EAGAIN) { return .wouldBlock }
            if n <= 0 { return .failed }
            bodyOffset += Int64(n)
            sent += Int64(n)
            if rateBytesPerSecond > 0 { tokens -= Int64(n) }
        }
        if inlineBodyByteCount > 0, let countKey {
            responder.sentBody(byteCount: inlineBodyByteCount, key: countKey)
            inlineBodyByteCount = 0
        }
        isResponding = false
        outHead.removeAll(keepingCapacity: true)
        return .finished
    }
}
