/// One request the fake upstream received, exactly as sent (before any routing).
struct RecordedRequest: Equatable, Sendable {
    /// The request method (`GET`, `HEAD`, ...), case as sent.
    let method: String
    /// The request target as sent: origin form, path plus query (`/v2/a/tags/list?n=2`).
    let target: String
    /// The HTTP version token of the request line (`HTTP/1.1`).
    let version: String
    /// Every header field in the order sent, names in their original case.
    let headers: [TestHeaderField]
    /// How many bytes of request body were read (Content-Length; chunked bodies are refused).
    let bodyByteCount: Int
    /// 0 for the first connection the server accepted, 1 for the next, ... (shows reuse).
    let connectionIndex: Int

    /// The path part of `target` (everything before `?`).
    var path: String {
        if let question = target.firstIndex(of: "?") { return String(target[..<question]) }
        return target
    }

    /// The query part of `target` without the `?`, or nil when there is none.
    var query: String? {
        guard let question = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: question)...])
    }

    /// The first value of header `name` (case-insensitive), or nil.
    func header(_ name: String) -> String? {
        headers.first(named: name)
    }

    /// Every value of header `name` (case-insensitive), in order sent.
    func headerValues(_ name: String) -> [String] {
        headers.all(named: name)
    }
}
