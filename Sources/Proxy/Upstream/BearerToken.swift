// Token responses are rare (one per scope per lifetime) and small, so decoding them with
// Foundation's JSONDecoder is off the hot path; FoundationEssentials keeps the dependency lean.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProxyRegistry

/// A bearer token from a Docker token service ("Token Authentication Specification",
/// "Token Response Fields"), with the local time it stops being usable.
///
/// Expiry is measured on the monotonic clock from when the response was received, not from
/// the server's `issued_at`, so wall-clock skew between this host and the token service cannot
/// make a token look valid too long or expired at once.
public struct BearerToken: Sendable, Equatable {
    /// The opaque token, sent as `Authorization: Bearer <token>`; visible ASCII only.
    public let token: String
    /// How long the token lives, after defaulting and clamping `expires_in`.
    public let lifetime: Duration
    /// When the token expires: receipt time plus ``lifetime``.
    public let expiresAt: ContinuousClock.Instant

    /// Lifetime when `expires_in` is absent: the spec's default of 60 seconds.
    public static let defaultLifetime = Duration.seconds(60)
    /// Shortest lifetime believed. The spec says a token "should never be returned with less
    /// than 60 seconds to live", and Docker's client rounds shorter values up to it; a token
    /// that really expires sooner costs one 401 and a refetch.
    public static let minimumLifetime = Duration.seconds(60)
    /// Longest lifetime believed, so a huge `expires_in` cannot overflow or pin a token forever.
    public static let maximumLifetime = Duration.seconds(24 * 60 * 60)

    /// Creates a token directly (tests, static credentials).
    public init(token: String, lifetime: Duration, expiresAt: ContinuousClock.Instant) {
        self.token = token
        self.lifetime = lifetime
        self.expiresAt = expiresAt
    }

    /// Decodes a token response body received at `now`.
    ///
    /// Reads `access_token` (OAuth 2 name) or else `token` (Docker name), and `expires_in` in
    /// seconds (default 60, clamped to 60 s … 24 h). Other fields (`issued_at`,
    /// `refresh_token`) are ignored.
    /// - Throws: `UPSTREAM_ERROR` (502) when the body is not a JSON object, has neither token
    ///   field, or the token is empty or holds bytes outside visible ASCII (which could split
    ///   the `Authorization` header).
    public static func parse(json: [UInt8], now: ContinuousClock.Instant) throws(RegistryError) -> BearerToken {
        let response: TokenResponse
        do {
            response = try JSONDecoder().decode(TokenResponse.self, from: Data(json))
        } catch {
            throw .upstreamError("token response is not a JSON object")
        }
        guard let token = response.accessToken ?? response.token else {
            throw .upstreamError("token response has no token")
        }
        guard !token.isEmpty, token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .upstreamError("token response has an unusable token")
        }
        var lifetime = defaultLifetime
        if let seconds = response.expiresInSeconds, seconds.isFinite {
            let clamped = min(max(seconds, 0), Double(maximumLifetime.components.seconds))
            lifetime = max(.milliseconds(Int64(clamped * 1000)), minimumLifetime)
        }
        return BearerToken(token: token, lifetime: lifetime, expiresAt: now + lifetime)
    }

    /// True while the token still has more than `margin` to live at `now`; renew before
    /// sending it when false, so a request does not race the expiry.
    public func isUsable(at now: ContinuousClock.Instant, margin: Duration = .seconds(5)) -> Bool {
        now + margin < expiresAt
    }

    /// The `Authorization` field value: `Bearer <token>`.
    public var authorizationValue: String { "Bearer " + token }
}

/// The JSON fields of a token response; each read leniently so one odd field (say, a string
/// `expires_in`) does not discard a usable token.
private struct TokenResponse: Decodable {
    var token: String?
    var accessToken: String?
    var expiresInSeconds: Double?

    private enum CodingKeys: String, CodingKey {
        case token
        case accessToken = "access_token"
        case expiresIn = "expires_in"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        token = try? container.decodeIfPresent(String.self, forKey: .token)
        accessToken = try? container.decodeIfPresent(String.self, forKey: .accessToken)
        expiresInSeconds = try? container.decodeIfPresent(Double.self, forKey: .expiresIn)
        if token?.isEmpty == true { token = nil }
        if accessToken?.isEmpty == true { accessToken = nil }
    }
}
