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
        /// The address made too many failed attempts, or has too many checks of distinct
        /// credentials running: wait this many nanoseconds (429).
        case limited(retryAfterNanoseconds: Int64)
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

    /// Checks `credential` from `address`: at once from memory, for an unknown user, or when
    /// the address is limited (calling `completion` before returning), else bcrypt on the
    /// pool, then `completion` on `loop`. A bcrypt check counts against the address's limit
    /// while it runs (``FailedAttemptLimiter/beginCheck(_:key:now:)``), and a wrong password
    /// is counted as a failed attempt here, in the same step that ends the check, so that no
    /// burst slips between the two. Unknown users are counted by the caller, which knows
    /// whether the route takes the credential to its upstream.
    package func verify(_ credential: ClientCredential, address: String, now: Int64, reportingTo loop: EventLoop,
                        completion: @escaping @Sendable (Verdict) -> Void) {
        let key = credential.fingerprint
        let lookup = state.withLock { state -> (hash: String?, cachedUser: String?, generation: Int, wait: Int64?) in
            let hash = state.htpasswd.hashes[credential.username]
            let cachedUser = state.cache.user(for: credential, now: now)
            // Only a bcrypt check is counted in flight; the other answers are immediate.
            let wait = hash != nil && cachedUser == nil ? state.limiter.beginCheck(address, key: key, now: now) : nil
            return (hash, cachedUser, state.generation, wait)
        }
        if let user = lookup.cachedUser { return completion(.valid(user: user)) }
        guard let hash = lookup.hash else { return completion(.unknownUser) }
        if let wait = lookup.wait { return completion(.limited(retryAfterNanoseconds: wait)) }
        let accepted = pool.submit(key: credential.username.hashValue, reportingTo: loop, { [state] () -> Verdict in
            let matches = AuthCrypto.cryptVerify(password: credential.password, hash: hash) == .match
            state.withLock { current in
                current.limiter.endCheck(address, key: key, failed: !matches, now: MonotonicClock.now())
                if matches, current.generation == lookup.generation { current.cache.remember(credential, now: MonotonicClock.now()) }
            }
            return matches ? .valid(user: credential.username) : .wrongPassword
        }, completion: completion)
        if !accepted {
            state.withLock { $0.limiter.endCheck(address, key: key, failed: false, now: now) }
            completion(.busy)
        }
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
