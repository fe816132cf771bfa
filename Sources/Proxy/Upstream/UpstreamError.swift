/// Why an upstream exchange failed before a complete, well-framed response.
/// Mapped to client errors by `RegistryError.init(upstream:)`: timeouts to
/// 504, everything else to 502.
public enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    case resolve(host: String, reason: String)
    case connect(String)
    case tls(String)
    case timedOut(String)
    /// The response violated HTTP framing (bad head, bad chunk, too long).
    case malformedResponse(String)
    /// The connection ended before the framing said the body was complete.
    case closedEarly(receivedBytes: Int64)
    case tooManyRedirects
    case badRedirect(String)
    /// Token endpoint failures during the bearer flow.
    case authentication(String)
    /// The exchange was abandoned by Cistern (shutdown).
    case cancelled

    public var description: String {
        switch self {
        case .resolve(let host, let reason): "cannot resolve \(host): \(reason)"
        case .connect(let reason): "connect failed: \(reason)"
        case .tls(let reason): "TLS failed: \(reason)"
        case .timedOut(let phase): "timed out \(phase)"
        case .malformedResponse(let reason): "malformed response: \(reason)"
        case .closedEarly(let n): "connection closed early after \(n) body bytes"
        case .tooManyRedirects: "too many redirects"
        case .badRedirect(let location): "unusable redirect to \(location)"
        case .authentication(let reason): "authentication failed: \(reason)"
        case .cancelled: "cancelled"
        }
    }

    /// Whether this is a timeout (504 rather than 502 for clients).
    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }
}

/// A response head from the upstream: status and fields in order, names
/// lower-cased (RFC 9110 section 5.1: names are case-insensitive).
public struct UpstreamResponseHead: Sendable {
    public var status: Int
    public var fields: [(name: String, value: String)]
    /// `Content-Length`, or nil when the body is chunked or delimited by close.
    public var contentLength: Int64?

    /// The first value of the field `name` (lower-case), if present.
    public func field(_ name: String) -> String? {
        fields.first(where: { $0.name == name })?.value
    }

    /// Every value of the field `name` (lower-case).
    public func fieldValues(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }
}

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
    func serialize(userAgent: String) -> [UInt8] {
        var text = "\(method.token) \(pathAndQuery) HTTP/1.1\r\nHost: \(origin.hostField)\r\nUser-Agent: \(userAgent)\r\n"
        for field in fields {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}

/// Receives one upstream response. Confinement: called on the loop that
/// started the exchange, in order: head, body pieces, then finished or failed
/// (failed may also come first, or after some body).
public protocol UpstreamResponseHandler: AnyObject {
    func upstreamReceivedHead(_ head: UpstreamResponseHead)
    /// A piece of the (de-chunked) body; valid only during the call.
    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer)
    func upstreamFinished()
    func upstreamFailed(_ error: UpstreamError)
}
