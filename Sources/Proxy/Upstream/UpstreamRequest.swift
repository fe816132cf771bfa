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

    /// The request head as bytes, with `Host` and `User-Agent`.
    /// - Parameter proxy: for a plain request through an HTTP proxy: the target is sent in
    ///   absolute form (RFC 9112 section 3.2.2) with the proxy's `Proxy-Authorization`.
    func serialize(userAgent: String, proxy: EgressProxy? = nil) -> [UInt8] {
        let target = proxy == nil ? pathAndQuery : origin.description + pathAndQuery
        var text = "\(method.token) \(target) HTTP/1.1\r\nHost: \(origin.hostField)\r\nUser-Agent: \(userAgent)\r\n"
        if let authorization = proxy?.authorization { text += "Proxy-Authorization: \(authorization)\r\n" }
        for field in fields {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}
