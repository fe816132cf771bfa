/// A response the harness's servers send: status, fields and where the body comes from.
public struct BenchResponse {
    /// Where the body bytes come from.
    public enum Body {
        /// No body bytes (HEAD, errors with empty bodies); `Content-Length` is still
        /// `contentLength` (HEAD reports the length GET would send).
        case none(contentLength: Int64)
        /// Bytes held in memory.
        case bytes([UInt8])
        /// A range of a synthetic blob, generated while sending.
        case synthetic(SyntheticBlob, Range<Int64>)
        /// A range of an open file, sent with sendfile(2). The descriptor stays owned by the
        /// responder.
        case file(fd: Int32, Range<Int64>)

        /// The Content-Length this body announces.
        public var contentLength: Int64 {
            switch self {
            case .none(let length): length
            case .bytes(let bytes): Int64(bytes.count)
            case .synthetic(_, let range), .file(_, let range): range.upperBound - range.lowerBound
            }
        }
    }

    /// Status code.
    public var status: Int
    /// Extra header fields (Content-Length is added by the server).
    public var fields: [(String, String)]
    /// The body.
    public var body: Body
    /// Body bytes per second for this response; 0 = as fast as the socket takes them.
    public var rateBytesPerSecond: Int64
    /// Counted under this key as body bytes go out (origin: the digest), if any.
    public var countKey: String?

    /// A response.
    public init(status: Int, fields: [(String, String)] = [], body: Body, rateBytesPerSecond: Int64 = 0, countKey: String? = nil) {
        self.status = status
        self.fields = fields
        self.body = body
        self.rateBytesPerSecond = rateBytesPerSecond
        self.countKey = countKey
    }

    /// A JSON error body in the distribution-spec error shape.
    public static func error(status: Int, code: String, message: String) -> BenchResponse {
        let json = #"{"errors":[{"code":"\#(code)","message":"\#(message)"}]}"#
        return BenchResponse(status: status, fields: [("Content-Type", "application/json")], body: .bytes(Array(json.utf8)))
    }

    /// The status line and header fields, ending with the empty line.
    func headBytes(keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(BenchResponse.reason(status))\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.contentLength)\r\n"
        if !keepAlive { text += "Connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 206: "Partial Content"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 416: "Range Not Satisfiable"
        default: "Status"
        }
    }
}

/// The server side of a harness HTTP server: turns requests into responses and hears how
/// many body bytes went out. Called only on the worker thread that owns it.
public protocol BenchResponder: AnyObject {
    /// The response to `request`.
    func respond(to request: BenchRequest) -> BenchResponse
    /// `byteCount` body bytes of a response counted under `key` were written to the socket.
    func sentBody(byteCount: Int64, key: String)
}
