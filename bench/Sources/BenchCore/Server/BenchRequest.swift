/// One parsed request head as the harness's servers see it (RFC 9112 section 3).
public struct BenchRequest: Sendable {
    /// `GET`, `HEAD`, …
    public var method: String
    /// The request-target as sent (origin-form path, possibly with a query).
    public var target: String
    /// The Range field value, if present.
    public var range: String?
    /// Whether the client asked to close after this exchange (`Connection: close` or HTTP/1.0).
    public var closeRequested: Bool

    /// The path part of the target (before any `?`).
    public var path: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(target)
    }

    /// A request as parsed.
    public init(method: String, target: String, range: String? = nil, closeRequested: Bool = false) {
        self.method = method
        self.target = target
        self.range = range
        self.closeRequested = closeRequested
    }
}
