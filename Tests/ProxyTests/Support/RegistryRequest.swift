/// One request the upstream registry answered, parsed from its access log.
///
/// distribution 2.8 writes the access log to stdout in Apache Combined Log Format (gorilla
/// `handlers.CombinedLoggingHandler`), one line per finished response, e.g.
/// `127.0.0.1 - - [29/Nov/2026:09:56:09 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"`.
/// This log, unlike the JSON "response completed" lines on stderr, also lists the 401s that the
/// auth layer answers before any handler runs.
struct RegistryRequest: Sendable, Hashable, CustomStringConvertible {
    /// The request method, e.g. `GET`, `HEAD`.
    let method: String
    /// The request target as sent, query included, e.g. `/v2/library/a/blobs/sha256:…`.
    let uri: String
    /// The response status code.
    let status: Int
    /// Body bytes the registry wrote (0 for HEAD).
    let byteCount: Int
    /// The client's User-Agent (`skopeo/1.9.3`, …).
    let userAgent: String

    /// `uri` without its query.
    var path: String { uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri }

    var description: String { "\(method) \(uri) \(status) \(byteCount)" }

    /// Parses one access-log line; nil for any line not in that shape.
    init?(accessLogLine line: Substring) {
        let quoted = line.split(separator: "\"", omittingEmptySubsequences: false)
        // [prefix, request line, " status bytes ", referer, " ", user agent, ""]
        guard quoted.count >= 6 else { return nil }
        let requestLine = quoted[1].split(separator: " ")
        let numbers = quoted[2].split(separator: " ")
        guard requestLine.count == 3, numbers.count == 2,
              let status = Int(numbers[0]), let byteCount = Int(numbers[1]) else { return nil }
        method = String(requestLine[0])
        uri = String(requestLine[1])
        self.status = status
        self.byteCount = byteCount
        userAgent = String(quoted[5])
    }
}
