/// A response head to a client: status line and header fields, serialised
/// with correct framing (RFC 9112 sections 4 and 6).
///
/// `Content-Length` is always written by `serialize` from the body's real
/// length (never taken from a caller's header list), so every response is
/// framed correctly; HEAD responses carry the length the GET would have and
/// no body (RFC 9110 section 9.3.2).
public struct ResponseHead: Sendable {
    public var status: Int
    public var fields: [(name: String, value: String)]
    /// The digest of the representation as its two halves (`sha256`, hex), written
    /// as `Docker-Content-Digest: algorithm:hex` and as the strong `ETag`
    /// (`"algorithm:hex"`) after `fields` (distribution spec, "Pulling blobs" /
    /// "Pulling manifests"). Kept in halves rather than two field strings so a hit
    /// builds no text per request.
    public var contentDigest: (algorithm: String, hex: String)?

    public init(status: Int, fields: [(name: String, value: String)] = [], contentDigest: (algorithm: String, hex: String)? = nil) {
        self.status = status
        self.fields = fields
        self.contentDigest = contentDigest
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The head as bytes.
    /// - Parameters:
    ///   - contentLength: bytes of the representation (or range) the body
    ///     carries, or nil for 304 (no length field is sent).
    ///   - keepAlive: whether the connection stays open afterwards.
    public func serialize(contentLength: Int64?, keepAlive: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + fields.count * 48)
        serialize(contentLength: contentLength, keepAlive: keepAlive, appendingTo: &out)
        return out
    }

    /// Appends the head's bytes to `out` (same bytes as
    /// `serialize(contentLength:keepAlive:)`); with a reused buffer this
    /// allocates nothing.
    public func serialize(contentLength: Int64?, keepAlive: Bool, appendingTo out: inout [UInt8]) {
        appendLiteral("HTTP/1.1 ", to: &out)
        appendDecimal(Int64(status), to: &out)
        out.append(0x20)
        appendText(ResponseHead.reasonPhrase(status), to: &out)
        appendLiteral("\r\n", to: &out)
        for field in fields {
            appendText(field.name, to: &out)
            appendLiteral(": ", to: &out)
            // Values come from our own code or upstream fields that the
            // parser already rejected control characters in; strip CR/LF anyway
            // (one scan, then a bulk copy in the usual case of neither).
            var value = field.value
            value.withUTF8 { bytes in
                if bytes.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                    for byte in bytes where byte != 0x0D && byte != 0x0A { out.append(byte) }
                } else {
                    out.append(contentsOf: bytes)
                }
            }
            appendLiteral("\r\n", to: &out)
        }
        if let contentDigest {
            // A digest is `algorithm:hex` of [a-z0-9:] only: nothing to strip.
            appendLiteral("Docker-Content-Digest: ", to: &out)
            appendDigest(contentDigest, to: &out)
            appendLiteral("\r\nETag: \"", to: &out)
            appendDigest(contentDigest, to: &out)
            appendLiteral("\"\r\n", to: &out)
        }
        if let contentLength {
            appendLiteral("Content-Length: ", to: &out)
            appendDecimal(contentLength, to: &out)
            appendLiteral("\r\n", to: &out)
        }
        if !keepAlive { appendLiteral("Connection: close\r\n", to: &out) }
        appendLiteral("\r\n", to: &out)
    }

    private func appendDigest(_ digest: (algorithm: String, hex: String), to out: inout [UInt8]) {
        appendText(digest.algorithm, to: &out)
        out.append(0x3A)
        appendText(digest.hex, to: &out)
    }

    /// The reason phrase for `status` (RFC 9110 section 15).
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 508: "Loop Detected"
        default: "Status"
        }
    }
}

/// Appends the decimal digits of a non-negative `value` to `out`.
@inline(__always)
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value == 0 {
        out.append(0x30)
        return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var remaining = value.magnitude
    withUnsafeMutableBytes(of: &digits) { buffer in
        while remaining > 0 {
            buffer[count] = UInt8(0x30 + remaining % 10)
            remaining /= 10
            count += 1
        }
        while count > 0 {
            count -= 1
            out.append(buffer[count])
        }
    }
}

/// Appends a literal's bytes (one bulk copy; `Array.append(contentsOf: "…".utf8)` goes
/// through the generic sequence path, ~170 instructions per call on the response path).
@inline(__always)
func appendLiteral(_ text: StaticString, to out: inout [UInt8]) {
    out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}

/// Appends a string's UTF-8 bytes with one bulk copy from its contiguous storage.
@inline(__always)
func appendText(_ text: String, to out: inout [UInt8]) {
    var text = text
    text.withUTF8 { out.append(contentsOf: $0) }
}
