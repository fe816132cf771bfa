import Prometheus

/// The client authentication series (issue 17; README "Authentication"), all zero without `auth:`:
/// - `cistern_auth_failures_total{reason}`: credentials refused with 401: `password` (a Basic
///   credential no htpasswd user matches, on the token endpoint or a registry endpoint) or
///   `token` (a token that is not this fleet's, altered or expired);
/// - `cistern_auth_limited_total`: requests answered 429 because their client address made
///   too many failed attempts (a rising count is someone guessing);
/// - `cistern_auth_tokens_issued_total`: tokens the token endpoint issued.
///
/// Counters are relaxed atomic adds; any thread.
public final class AuthMetrics: Sendable {
    private let passwordFailures: Counter
    private let tokenFailures: Counter
    private let limited: Counter
    private let tokensIssued: Counter

    init(registry: PrometheusCollectorRegistry) {
        let failuresHelp = "Client credentials refused with 401, by what was wrong: a password or a token."
        passwordFailures = registry.makeCounter(descriptor: Metrics.descriptor("auth_failures_total", help: failuresHelp),
                                                labels: [("reason", "password")])
        tokenFailures = registry.makeCounter(descriptor: Metrics.descriptor("auth_failures_total", help: failuresHelp),
                                             labels: [("reason", "token")])
        limited = registry.makeCounter(descriptor: Metrics.descriptor(
            "auth_limited_total", help: "Requests answered 429 because their address made too many failed authentication attempts."))
        tokensIssued = registry.makeCounter(descriptor: Metrics.descriptor("auth_tokens_issued_total", help: "Tokens the token endpoint issued."))
    }

    /// A credential was refused: a token (`invalidToken`) or a password.
    public func refused(invalidToken: Bool) {
        (invalidToken ? tokenFailures : passwordFailures).increment()
    }

    /// A request was answered 429 for its address's failed attempts.
    public func limitedRequest() {
        limited.increment()
    }

    /// The token endpoint issued a token.
    public func tokenIssued() {
        tokensIssued.increment()
    }
}
