/// What an upstream said about one client credential reading one repository (issue 17
/// item 3, `credentials: client`), remembered for the remote's `client_access_ttl` so that
/// one HEAD serves a whole pull.
///
/// A pure value: the time is passed in (monotonic nanoseconds), so tests drive it. Bounded:
/// at ``capacity`` entries, expired ones are dropped before another is recorded, and when
/// none has expired the new answer is not remembered (asked again next time) rather than
/// growing without limit.
package struct ClientAccessConfirmations: Sendable {
    /// One credential and one repository at one upstream.
    package struct Key: Hashable, Sendable {
        /// The upstream's name (`registries[].name`).
        package var upstream: String
        /// ``ClientCredential/fingerprint``, or empty for a client without credentials.
        package var credential: String
        /// The repository as the upstream knows it.
        package var repository: String

        package init(upstream: String, credential: String, repository: String) {
            self.upstream = upstream
            self.credential = credential
            self.repository = repository
        }
    }

    /// The upstream's answer to a HEAD in the repository made with the credential.
    package enum Verdict: Sendable, Equatable {
        /// 2xx: this credential may read the repository.
        case allowed
        /// 401: the credential is wrong, or the upstream wants one.
        case unauthorized
        /// 403: the credential is known but may not read the repository.
        case denied
    }

    private struct Entry {
        var verdict: Verdict
        var expiresAtNanoseconds: Int64
    }

    package let capacity: Int
    private var entries: [Key: Entry] = [:]

    package init(capacity: Int = 16_384) {
        self.capacity = capacity
    }

    /// Entries held, expired ones included until they are looked up or pruned.
    package var count: Int { entries.count }

    /// The remembered verdict for `key` while it holds (`now` before its expiry); an expired
    /// one is forgotten.
    package mutating func verdict(for key: Key, now: Int64) -> Verdict? {
        guard let entry = entries[key] else { return nil }
        guard now < entry.expiresAtNanoseconds else {
            entries[key] = nil
            return nil
        }
        return entry.verdict
    }

    /// Remembers `verdict` for `key` until `now + lifetimeNanoseconds`; a lifetime of 0 or less
    /// remembers nothing (every request is confirmed).
    package mutating func record(_ verdict: Verdict, for key: Key, lifetimeNanoseconds: Int64, now: Int64) {
        guard lifetimeNanoseconds > 0 else { return }
        if entries.count >= capacity, entries[key] == nil {
            entries = entries.filter { now < $0.value.expiresAtNanoseconds }
            guard entries.count < capacity else { return }
        }
        entries[key] = Entry(verdict: verdict, expiresAtNanoseconds: now + lifetimeNanoseconds)
    }
}
