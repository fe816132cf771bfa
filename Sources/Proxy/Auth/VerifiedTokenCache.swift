/// Tokens whose signature and claims were checked lately, so that the requests of one pull,
/// which all present the same token, cost one JSON decoding and HMAC and not one each (a
/// verification is some tens of microseconds; a lookup is a hash of the token text).
///
/// An entry is answered until the token's own expiry, so nothing is valid longer than it
/// would be unremembered. At most `capacity` tokens: past that, expired ones are dropped,
/// then everything. A pure value; time comes in as seconds since the epoch. Not
/// thread-safe by itself (``Authenticator`` holds it under a lock).
package struct VerifiedTokenCache: Sendable {
    /// Most tokens at once.
    package let capacity: Int
    private var entries: [Substring: TokenCodec.Verified] = [:]

    /// An empty cache.
    package init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The claims of `token` when it was verified before and has not expired at `now`.
    package func verified(_ token: Substring, now: Int64) -> TokenCodec.Verified? {
        guard let entry = entries[token], now < entry.expiresAt else { return nil }
        return entry
    }

    /// Remembers `token`'s verified claims (until their own expiry).
    package mutating func remember(_ token: Substring, _ verified: TokenCodec.Verified, now: Int64) {
        if entries.count >= capacity { entries = entries.filter { now < $0.value.expiresAt } }
        if entries.count >= capacity { entries.removeAll() }
        // A copy of the text, not a slice holding the whole Authorization value.
        entries[Substring(String(token))] = verified
    }

    /// Tokens remembered now.
    package var count: Int { entries.count }
}
