import ProxyHTTP

/// A request to send upstream. Only these fields are sent: the client's own
/// header fields (notably `Authorization`) are never copied here.
public struct UpstreamRequest: Sendable {
    public var method: HTTPMethod
    public var origin: Origin
    public var pathAndQuery: String
    /// Extra fields (Accept, Range, Authorization for the upstream, ...).
    public var fields: [(name: String, value: String)]

    public init(method: HTTPMethod, origin: Origin, pathAndQuery: String, fields: [(name: String, value: String)] = []) {
        self.method = method
        self.origin = origin
        self.pathAndQuery = pathAndQuery
        self.fields = fields
    }

    /// The `X-Forwarded-For` field carrying `value` (the client's chain plus
    /// its address), or none for requests no client made (prefetch).
    package static func forwardedFor(_ value: String) -> [(name: String, value: String)] {
        value.isEmpty ? [] : [("X-Forwarded-For", value)]
    }

    /// The request head as bytes, with `Host` and `User-Agent`.
    func serialize(userAgent: String) -> [UInt8] {
        var text = "\(method.token) \(pathAndQuery) HTTP/1.1\r\nHost: \(origin.hostField)\r\nUser-Agent: \(userAgent)\r\n"
        for field in fields {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}
