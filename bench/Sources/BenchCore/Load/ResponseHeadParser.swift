/// The load generator's own HTTP/1.1 response-head parser (RFC 9112 sections 4, 5, 6.3),
/// independent of Cistern's C parser so that a bug there cannot hide in the measurement.
///
/// It parses a whole head from its first byte each time it is called (heads are a few
/// hundred bytes; the generator calls it again only when more bytes arrived) and keeps
/// only what framing needs: status, version, Content-Length, chunked, Connection: close.
/// It allocates nothing. Lenient where clients are (a bare LF ends a line, field names
/// compared case-insensitively), strict where framing is at stake (a malformed or
/// conflicting Content-Length is invalid, RFC 9112 section 6.3 item 5).
public struct ResponseHeadParser: Sendable {
    /// What a parse found.
    public enum Outcome: Equatable, Sendable {
        /// The head is not complete yet.
        case partial
        /// Not an HTTP/1.x response head.
        case invalid
        /// A complete head of `length` bytes (its final empty line included).
        case complete(ResponseHeadParser.Head)
    }

    /// The framing-relevant parts of a response head.
    public struct Head: Equatable, Sendable {
        /// Bytes of the head, status line through the empty line.
        public var length: Int
        /// The status code (100–999).
        public var status: Int
        /// 0 or 1 (HTTP/1.0 or HTTP/1.1).
        public var versionMinor: Int
        /// The Content-Length, or -1 when absent.
        public var contentLength: Int64
        /// Whether Transfer-Encoding names chunked (its last coding, section 6.3 item 4).
        public var chunked: Bool
        /// Whether a Connection field says close.
        public var connectionClose: Bool

        /// A head (tests build the expected ones).
        public init(length: Int, status: Int, versionMinor: Int, contentLength: Int64, chunked: Bool, connectionClose: Bool) {
            self.length = length
            self.status = status
            self.versionMinor = versionMinor
            self.contentLength = contentLength
            self.chunked = chunked
            self.connectionClose = connectionClose
        }
    }

    /// Longest head accepted (bytes); a longer one is invalid.
    public static let maximumLength = 64 * 1024

    /// Parses the head at the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var lines = LineScanner(bytes: bytes)
        guard let statusLine = lines.next() else { return bytes.count > maximumLength ? .invalid : .partial }
        guard var head = parseStatusLine(bytes, statusLine) else { return .invalid }
        while true {
            guard let line = lines.next() else { return bytes.count > maximumLength ? .invalid : .partial }
            if line.isEmpty {
                head.length = lines.position
                return .complete(head)
            }
            guard applyField(bytes, line, to: &head) else { return .invalid }
        }
    }

    /// `HTTP/1.x SSS reason`.
    private static func parseStatusLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> Head? {
        guard line.count >= 12 else { return nil }
        let s = line.lowerBound
        let prefix: StaticString = "HTTP/1."
        for i in 0..<prefix.utf8CodeUnitCount where bytes[s + i] != prefix.utf8Start[i] { return nil }
        let minor = bytes[s + 7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1"), bytes[s + 8] == UInt8(ascii: " ") else { return nil }
        var status = 0
        for i in 9..<12 {
            let digit = bytes[s + i]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            status = status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        guard status >= 100, line.count == 12 || bytes[s + 12] == UInt8(ascii: " ") else { return nil }
        return Head(length: 0, status: status, versionMinor: Int(minor - UInt8(ascii: "0")), contentLength: -1,
                    chunked: false, connectionClose: false)
    }

    /// One `name: value` line; false when it is malformed or its framing conflicts.
    private static func applyField(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>, to head: inout Head) -> Bool {
        guard let colon = line.firstIndex(where: { bytes[$0] == UInt8(ascii: ":") }), colon > line.lowerBound else { return false }
        let name = line.lowerBound..<colon
        let value = trimmed(bytes, colon + 1..<line.upperBound)
        if equalsIgnoringCase(bytes, name, "content-length") {
            guard !value.isEmpty, value.count <= 18 else { return false }
            var length: Int64 = 0
            for i in value {
                let digit = bytes[i]
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return false }
                length = length * 10 + Int64(digit - UInt8(ascii: "0"))
            }
            if head.contentLength >= 0 && head.contentLength != length { return false }
            head.contentLength = length
        } else if equalsIgnoringCase(bytes, name, "transfer-encoding") {
            head.chunked = endsWithToken(bytes, value, "chunked")
        } else if equalsIgnoringCase(bytes, name, "connection") {
            if containsToken(bytes, value, "close") { head.connectionClose = true }
        }
        return true
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var (lower, upper) = (range.lowerBound, range.upperBound)
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return lower..<upper
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount else { return false }
        let base = name.utf8Start
        for (k, i) in range.enumerated() where lowercased(bytes[i]) != base[k] { return false }
        return true
    }

    /// Whether the comma-separated list `value` contains `token` (case-insensitive).
    private static func containsToken(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ token: StaticString) -> Bool {
        var start = value.lowerBound
        while start <= value.upperBound {
            var end = start
            while end < value.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
            if equalsIgnoringCase(bytes, trimmed(bytes, start..<end), token) { return true }
            start = end + 1
        }
        return false
    }

    /// Whether the last element of the comma-separated list `value` is `token`.
    private static func endsWithToken(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ token: StaticString) -> Bool {
        var start = value.upperBound
        while start > value.lowerBound, bytes[start - 1] != UInt8(ascii: ",") { start -= 1 }
        return equalsIgnoringCase(bytes, trimmed(bytes, start..<value.upperBound), token)
    }
}

/// Lines of a head: each `next()` is one line without its CRLF (or bare LF); nil when no
/// complete line is left.
private struct LineScanner {
    let bytes: UnsafeRawBufferPointer
    /// Where the next line starts.
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> Range<Int>? {
        var i = position
        while i < bytes.count, bytes[i] != 0x0A { i += 1 }
        guard i < bytes.count else { return nil }
        let end = i > position && bytes[i - 1] == 0x0D ? i - 1 : i
        defer { position = i + 1 }
        return position..<end
    }
}
