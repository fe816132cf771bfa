/// The URL scheme of an upstream registry: plain HTTP or HTTP over TLS (RFC 9110 §4.2).
public enum UpstreamScheme: String, Sendable, Equatable {
    /// `http://`; default port 80.
    case http
    /// `https://`; default port 443.
    case https

    /// The port implied when the URL names none (RFC 9110 §4.2.1, §4.2.2).
    public var defaultPort: UInt16 {
        switch self {
        case .http: return 80
        case .https: return 443
        }
    }
}
