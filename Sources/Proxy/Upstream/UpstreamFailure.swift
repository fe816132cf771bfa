import Glibc
import ProxyRegistry

/// An error answer for a client that stems from the upstream: the OCI error
/// plus the upstream's `Retry-After` when it rate-limited us (so a client
/// backs off as the upstream asked).
public struct UpstreamFailure: Error, Sendable, Equatable {
    public var error: RegistryError
    public var retryAfter: String?

    public init(_ error: RegistryError, retryAfter: String? = nil) {
        self.error = error
        self.retryAfter = retryAfter
    }

    /// Maps an upstream status other than 200/206 to what the client gets:
    /// 404 -> the upstream's own code when `body` is an OCI error naming NAME_UNKNOWN,
    /// MANIFEST_UNKNOWN or BLOB_UNKNOWN, else `notFound` (the upstream really said so, but a
    /// HEAD or a non-OCI body does not say which), 400 for a manifest -> MANIFEST_INVALID
    /// (the client's Accept set cannot be served), 401 -> UNAUTHORIZED
    /// and 403 -> DENIED naming the upstream (never "not found"), 429 ->
    /// TOOMANYREQUESTS with Retry-After, 503 -> 503, 508 -> LOOP_DETECTED 508 (another mirror
    /// saw its own node in Via: relayed as it is, never stale, see ``allowsStale``),
    /// other statuses -> 502.
    public static func status(_ head: UpstreamResponseHead, body: [UInt8] = [], upstream: String, notFound: RegistryError) -> UpstreamFailure {
        switch head.status {
        case 404:
            if let code = UpstreamErrorBody.firstCode(body), code != notFound.code, UpstreamErrorBody.passedOnNotFoundCodes.contains(code) {
                return UpstreamFailure(RegistryError(code: code, status: 404, message: UpstreamErrorBody.message(for: code), detail: notFound.detail))
            }
            return UpstreamFailure(notFound)
        case 400 where notFound.code == .manifestUnknown:
            // distribution answers 400 MANIFEST_INVALID when it cannot give a manifest in a type
            // the client accepts (a schema 2 manifest by tag without schema 2 in Accept): the
            // client's request was refused as made, which is not an upstream failure (502).
            return UpstreamFailure(.manifestInvalid("upstream \(upstream) cannot answer this manifest request as asked (400)"))
        case 401:
            return UpstreamFailure(.unauthorized("upstream \(upstream) refused Cistern's credentials (401)"))
        case 403:
            return UpstreamFailure(.denied("upstream \(upstream) denied access (403)"))
        case 429:
            return UpstreamFailure(.tooManyRequests("upstream \(upstream) is rate limiting (429)"), retryAfter: sanitizedRetryAfter(head.field("retry-after")))
        case 503:
            return UpstreamFailure(.upstreamUnavailable("upstream \(upstream) answered 503"), retryAfter: sanitizedRetryAfter(head.field("retry-after")))
        case 504:
            return UpstreamFailure(.upstreamTimeout("upstream \(upstream) answered 504"))
        case 508:
            return UpstreamFailure(.loopDetected("upstream \(upstream) answered 508: the request went round a loop of mirrors"))
        default:
            return UpstreamFailure(.upstreamError("upstream \(upstream) answered \(head.status)"))
        }
    }

    /// Maps a failure before a usable upstream answer: timeouts -> 504, no connection -> 503;
    /// the token service's refusal as the upstream's own would be (401 -> UNAUTHORIZED,
    /// 403 -> DENIED, 429 -> TOOMANYREQUESTS with Retry-After, 5xx -> 503 with Retry-After);
    /// a redirect target's 401/403 -> 502 naming that host; everything else -> 502.
    public static func transport(_ error: UpstreamError, upstream: String) -> UpstreamFailure {
        if case .tokenServiceRefused(let status, let retryAfter) = error {
            return tokenService(status: status, retryAfter: retryAfter, upstream: upstream)
        }
        if case .redirectTargetRefused(let origin, let status) = error {
            return UpstreamFailure(.upstreamError(
                "storage host \(origin), where upstream \(upstream) redirected, answered \(status) (an expired or refused signed URL)"))
        }
        if error.isTimeout { return UpstreamFailure(.upstreamTimeout("upstream \(upstream): \(error)")) }
        if case .connect = error { return UpstreamFailure(.upstreamUnavailable("upstream \(upstream): \(error)")) }
        if case .resolve = error { return UpstreamFailure(.upstreamUnavailable("upstream \(upstream): \(error)")) }
        return UpstreamFailure(.upstreamError("upstream \(upstream): \(error)"))
    }

    /// The token service refused to issue a token: mapped as the upstream's own refusal, since
    /// it speaks for the upstream (a client cannot tell them apart, and wrong mirror
    /// credentials must read as such, never as a bare 502).
    private static func tokenService(status: Int, retryAfter: String?, upstream: String) -> UpstreamFailure {
        switch status {
        case 401:
            return UpstreamFailure(.unauthorized("the token service of upstream \(upstream) refused Cistern's credentials (401)"))
        case 403:
            return UpstreamFailure(.denied("the token service of upstream \(upstream) denied access (403)"))
        case 429:
            return UpstreamFailure(.tooManyRequests("the token service of upstream \(upstream) is rate limiting (429)"), retryAfter: sanitizedRetryAfter(retryAfter))
        case 500...599:
            return UpstreamFailure(.upstreamUnavailable("the token service of upstream \(upstream) answered \(status)"), retryAfter: sanitizedRetryAfter(retryAfter))
        default:
            return UpstreamFailure(.upstreamError("the token service of upstream \(upstream) answered \(status)"))
        }
    }

    /// The upstream's `Retry-After` as whole seconds from now (an HTTP-date converted), or
    /// nil when it is absent or unreadable: a client never gets the upstream's text as is.
    static func sanitizedRetryAfter(_ value: String?) -> String? {
        guard let wait = RateLimitFields.retryAfter(value, nowUnixSeconds: Int64(time(nil))) else { return nil }
        return String(RateLimitFields.retryAfterSeconds(wait))
    }

    /// Whether a cached (stale) tag may be served instead: the upstream is
    /// down, slow, overloaded or rate limiting — not when it said 404/401/403, and never over
    /// a 508: a loop is a misconfiguration to show, not an outage to hide.
    public var allowsStale: Bool {
        [429, 500, 502, 503, 504].contains(error.status)
    }
}
