import ProxyIO
import ProxyLoop
import ProxyRegistry
import ProxySystem

/// Checks Basic credentials against the htpasswd users (issue 17 item 2): bcrypt runs on
/// the verifier's own small pool, never on an event loop, and its verdict comes back on the
/// asking loop; a credential verified a moment ago is answered at once from
/// ``VerifiedCredentialCache``; failed attempts are counted per client address
/// (``FailedAttemptLimiter``) by the caller, which knows what a failure is.
///
/// Thread-safe: the users, the cache and the limiter sit under one lock, held for
/// dictionary work only (never across bcrypt, a log call or a loop hand-off).
package final class CredentialVerifier: Sendable {
    /// The outcome of one check.
    package enum Verdict: Sendable, Equatable {
        /// The password is this user's.
        case valid(user: String)
        /// The user exists; the password is not theirs.
        case wrongPassword
        /// No such user in the htpasswd file.
        case unknownUser
        /// The verifier's pool is full: answer 503, the client retries.
        case busy
    }

    private struct State: Sendable {
        var htpasswd: Htpasswd
        var cache: VerifiedCredentialCache
        var limiter: FailedAttemptLimiter
        /// Bumped by each reload: a verdict computed against older users is not cached.
        var generation = 0
    }

    private let state: Locked<State>
    private let pool: IOPool

    /// - Parameters:
    ///   - htpasswd: the users.
    ///   - limiter: the failed-attempt counts.
    ///   - rememberNanoseconds: how long a verified credential is answered from memory.
    ///   - threadCount: bcrypt threads.
    package init(htpasswd: Htpasswd, limiter: FailedAttemptLimiter, rememberNanoseconds: Int64 = 60_000_000_000, threadCount: Int = 2) {
        state = Locked(State(htpasswd: htpasswd, cache: VerifiedCredentialCache(lifetimeNanoseconds: rememberNanoseconds), limiter: limiter))
        pool = IOPool(name: "cistern-auth", threadCount: threadCount, laneCapacity: 256)
    }

    /// Checks `credential`: at once from memory or for an unknown user (calling `completion`
    /// before returning), else bcrypt on the pool, then `completion` on `loop`.
    package func verify(_ credential: ClientCredential, now: Int64, reportingTo loop: EventLoop,
                        completion: @escaping @Sendable (Verdict) -> Void) {
        let lookup = state.withLock { state -> (hash: String?, cachedUser: String?, generation: Int) in
            (state.htpasswd.hashes[credential.username], state.cache.user(for: credential, now: now), state.generation)
        }
        if let user = lookup.cachedUser { return completion(.valid(user: user)) }
        guard let hash = lookup.hash else { return completion(.unknownUser) }
        let accepted = pool.submit(key: credential.username.hashValue, reportingTo: loop, { [state] () -> Verdict in
            guard AuthCrypto.cryptVerify(password: credential.password, hash: hash) == .match else { return .wrongPassword }
            state.withLock { current in
                if current.generation == lookup.generation { current.cache.remember(credential, now: MonotonicClock.now()) }
            }
            return .valid(user: credential.username)
        }, completion: completion)
        if !accepted { completion(.busy) }
    }

    /// Nanoseconds until `address` may try again; nil when it may now.
    package func retryAfter(_ address: String, now: Int64) -> Int64? {
        state.withLock { $0.limiter.retryAfter(address, now: now) }
    }

    /// Counts a failed attempt by `address`.
    package func failed(_ address: String, now: Int64) {
        state.withLock { $0.limiter.failed(address, now: now) }
    }

    /// Users in the htpasswd file now.
    package var userCount: Int {
        state.withLock { $0.htpasswd.hashes.count }
    }

    /// Whether `user` is in the htpasswd file now.
    package func knows(_ user: String) -> Bool {
        state.withLock { $0.htpasswd.hashes[user] != nil }
    }

    /// Takes a newly read htpasswd file (SIGHUP) and forgets every remembered credential.
    package func replace(_ htpasswd: Htpasswd) {
        state.withLock { state in
            state.htpasswd = htpasswd
            state.cache.removeAll()
            state.generation += 1
        }
    }

    /// Ends the bcrypt threads (after the queued checks ran). Idempotent.
    package func stop() {
        pool.stop()
    }
}
