/// Token scopes (`repository:<name>:pull`) that one upstream refused even with a freshly
/// issued token, each remembered for ``lifetime`` so that a client retrying a repository it
/// may not pull costs one upstream request per retry, not one token fetch each (Docker Hub
/// issues an anonymous token with no access for a private repository, and the registry then
/// answers 401 `insufficient_scope` every time).
///
/// Pure value; its owner (`UpstreamRegistry`) keeps it behind a lock, one per upstream.
/// Invariant: at most ``capacity`` entries, so hostile clients naming endless repositories
/// cannot grow it without bound.
struct DeniedScopes: Sendable {
    /// How long a denial is believed before a new token is asked for.
    static let lifetime = Duration.seconds(30)
    /// Most scopes remembered at once; past it (after dropping expired ones) a new denial is
    /// not remembered, which only costs token fetches.
    static let capacity = 4096

    private var expiryByScope: [String: ContinuousClock.Instant] = [:]

    /// How many scopes are remembered, expired ones included until a `remember` at capacity
    /// or of the same scope replaces them.
    var count: Int { expiryByScope.count }

    /// Records that `scope` was refused at `now`, for ``lifetime``.
    mutating func remember(_ scope: String, now: ContinuousClock.Instant) {
        if expiryByScope.count >= Self.capacity, expiryByScope[scope] == nil {
            expiryByScope = expiryByScope.filter { $0.value > now }
            guard expiryByScope.count < Self.capacity else { return }
        }
        expiryByScope[scope] = now + Self.lifetime
    }

    /// Whether `scope` was refused less than ``lifetime`` before `now`.
    func contains(_ scope: String, now: ContinuousClock.Instant) -> Bool {
        guard let expiry = expiryByScope[scope] else { return false }
        return now < expiry
    }
}
