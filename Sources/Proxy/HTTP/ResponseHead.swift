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
        let bound = byteBound
        if bound <= ResponseHead.stackByteCount {
            withUnsafeTemporaryAllocation(byteCount: bound, alignment: 1) { scratch in
                var writer = HeadBytesWriter(scratch)
                write(contentLength: contentLength, keepAlive: keepAlive, to: &writer)
                out.append(contentsOf: writer.written)
            }
        } else {
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 1)
            defer { scratch.deallocate() }
            var writer = HeadBytesWriter(scratch)
            write(contentLength: contentLength, keepAlive: keepAlive, to: &writer)
            out.append(contentsOf: writer.written)
        }
    }

    /// Heads up to this size are built on the stack; larger ones (many or long fields) in
    /// one heap block.
    static let stackByteCount = 2048

    /// At least the bytes `write` produces: every piece at its longest.
    private var byteBound: Int {
        var bound = 9 + 20 + 1 + ResponseHead.reasonPhrase(status).utf8.count + 2
        for field in fields { bound += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        if let contentDigest {
            bound += 23 + 9 + 3 + 2 * (contentDigest.algorithm.utf8.count + 1 + contentDigest.hex.utf8.count)
        }
        return bound + 16 + 20 + 2 + 19 + 2
    }

    private func write(contentLength: Int64?, keepAlive: Bool, to writer: inout HeadBytesWriter) {
        writer.literal("HTTP/1.1 ")
        writer.decimal(Int64(status))
        writer.byte(0x20)
        writer.text(ResponseHead.reasonPhrase(status))
        writer.literal("\r\n")
        for field in fields {
            writer.text(field.name)
            writer.literal(": ")
            // Values come from our own code or upstream fields that the parser already
            // rejected control characters in; CR and LF are left out anyway.
            writer.fieldValue(field.value)
            writer.literal("\r\n")
        }
        if let contentDigest {
            // A digest is `algorithm:hex` of [a-z0-9:] only: nothing to strip.
            writer.literal("Docker-Content-Digest: ")
            writeDigest(contentDigest, to: &writer)
            writer.literal("\r\nETag: \"")
            writeDigest(contentDigest, to: &writer)
            writer.literal("\"\r\n")
        }
        if let contentLength {
            writer.literal("Content-Length: ")
            writer.decimal(contentLength)
            writer.literal("\r\n")
        }
        if !keepAlive { writer.literal("Connection: close\r\n") }
        writer.literal("\r\n")
    }

    private func writeDigest(_ digest: (algorithm: String, hex: String), to writer: inout HeadBytesWriter) {
        writer.text(digest.algorithm)
        writer.byte(0x3A)
        writer.text(digest.hex)
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
