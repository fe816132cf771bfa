/// A response the fake upstream decided on, before delivery: status, fields and the full
/// body. The writer adds Content-Length (or Transfer-Encoding) and Connection itself, so
/// `headers` never holds those.
struct FakeUpstreamResponse: Equatable, Sendable {
    /// The status code (RFC 9110 section 15).
    var statusCode: Int
    /// Header fields in sending order.
    var headers: [TestHeaderField]
    /// The body; for a HEAD request it only sizes Content-Length and is not sent.
    var body: [UInt8]

    /// A response with `statusCode`, `headers` and `body`.
    init(statusCode: Int, headers: [TestHeaderField] = [], body: [UInt8] = []) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }

    /// Sets field `name` to `value`: replaces the first field of that name (case-insensitive)
    /// and drops any others, or appends one.
    mutating func setHeader(_ name: String, _ value: String) {
        let wanted = name.lowercased()
        if let index = headers.firstIndex(where: { $0.name.lowercased() == wanted }) {
            headers[index] = TestHeaderField(name, value)
            var seen = false
            headers.removeAll { field in
                guard field.name.lowercased() == wanted else { return false }
                defer { seen = true }
                return seen
            }
        } else {
            headers.append(TestHeaderField(name, value))
        }
    }

    /// Removes every field called `name` (case-insensitive).
    mutating func removeHeader(_ name: String) {
        let wanted = name.lowercased()
        headers.removeAll { $0.name.lowercased() == wanted }
    }

    /// The reason phrase the fake sends for `statusCode` (RFC 9110 section 15; empty for
    /// codes it does not name, which RFC 9112 section 4 allows).
    static func reasonPhrase(for statusCode: Int) -> String {
        switch statusCode {
        case 200: "OK"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
