import ProxyLogging
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
    /// Token endpoint failures during the bearer flow (unusable realm or token).
    case authentication(String)
    /// The token service answered `status` instead of a token (Docker "Token Authentication
    /// Specification"), with its `Retry-After` field if any: 401/403 for credentials it
    /// refuses, 429 when it rate limits, 5xx when it is down.
    case tokenServiceRefused(status: Int, retryAfter: String?)
    /// A host the upstream redirected to (a CDN or a signed storage URL) refused the request
    /// with 401 or 403: the upstream's own answer was a redirect, so the refusal is not the
    /// upstream denying access (an expired signature, a misconfigured bucket).
    case redirectTargetRefused(origin: String, status: Int)
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
        // A CDN redirect's query is its credential (pre-signed URL): never shown.
        case .badRedirect(let location): "unusable redirect to \(LogRedaction.target(location))"
        case .authentication(let reason): "authentication failed: \(reason)"
        case .tokenServiceRefused(let status, _): "token service answered \(status)"
        case .redirectTargetRefused(let origin, let status): "redirect target \(origin) answered \(status)"
        case .cancelled: "cancelled"
        }
    }

    /// Whether this is a timeout (504 rather than 502 for clients).
    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }
}
