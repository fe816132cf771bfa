import ProxyRegistry

/// Credentials whose bcrypt check passed a moment ago, so that a pull, which may present the
/// same Basic credential on every request, costs one bcrypt and not one per request.
///
/// Keyed by an HMAC-SHA-256 fingerprint of `user:password` under a random key made when the
/// cache is (never the password itself); an entry lives `lifetimeNanoseconds` and the whole
/// cache is emptied when the htpasswd file is read again. At most `capacity` entries: past
/// that, expired ones are dropped, then everything. A pure value; time comes in as monotonic
/// nanoseconds. Not thread-safe by itself.
package struct VerifiedCredentialCache: Sendable {
    /// How long an entry is answered.
    package let lifetimeNanoseconds: Int64
    /// Most entries at once.
    package let capacity: Int
    private let fingerprintKey = AuthCrypto.randomBytes(32)
    private var entries: [[UInt8]: (user: String, expiresAt: Int64)] = [:]

    /// An empty cache.
    package init(lifetimeNanoseconds: Int64, capacity: Int = 4096) {
        self.lifetimeNanoseconds = lifetimeNanoseconds
        self.capacity = capacity
    }

    /// The fingerprint `credential` is remembered under.
    package func fingerprint(_ credential: ClientCredential) -> [UInt8] {
        AuthCrypto.hmacSHA256(key: fingerprintKey, Array("\(credential.username)\u{0}\(credential.password)".utf8))
    }

    /// The user when `credential` was verified less than the lifetime ago.
    package func user(for credential: ClientCredential, now: Int64) -> String? {
        guard let entry = entries[fingerprint(credential)], now < entry.expiresAt else { return nil }
        return entry.user
    }

    /// Remembers `credential` as verified at `now` (monotonic nanoseconds).
    package mutating func remember(_ credential: ClientCredential, now: Int64) {
        if entries.count >= capacity { entries = entries.filter { now < $0.value.expiresAt } }
        if entries.count >= capacity { entries.removeAll() }
        entries[fingerprint(credential)] = (credential.username, now + lifetimeNanoseconds)
    }

    /// Forgets every credential (the htpasswd file was read again).
    package mutating func removeAll() {
        entries.removeAll()
    }

    /// Credentials remembered now.
    package var count: Int { entries.count }
}
