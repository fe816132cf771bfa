import ProxyLoop
import ProxyRegistry
import ProxySystem

extension Authenticator {
    /// The outcome of reading a request's credential.
    package enum Outcome: Sendable, Equatable {
        /// Who the client is (possibly anonymous).
        case authenticated(RequestAuthentication)
        /// 401: a token that is not Cistern's, altered or expired (`invalid_token`), or a
        /// Basic credential that is wrong.
        case refused(invalidToken: Bool)
        /// 429: too many failed attempts from this address; retry after these seconds.
        case limited(retryAfterSeconds: Int64)
        /// 503: the credential check's pool is full.
        case busy
    }

    /// Reads the credential `authorization` presents for a request on `rule` (nil for `/v2/`):
    /// a token is checked at once; a Basic credential from memory or by bcrypt off the loop.
    /// `completion` runs on `loop` (possibly before this returns). A credential that no
    /// htpasswd user matches is kept for a `credentials: client` route (its upstream checks
    /// it) and refused elsewhere, counting one failed attempt for `address`; a wrong password
    /// of an htpasswd user counts on every route.
    package func authenticate(_ authorization: String?, rule: RouteTable.Rule?, address: String, reportingTo loop: EventLoop,
                              completion: @escaping @Sendable (Outcome) -> Void) {
        let keepsCredential = rule.map(takesClientCredentials) ?? false
        switch Self.presented(authorization) {
        case .nothing:
            completion(.authenticated(.anonymous))
        case .bearer(let token):
            guard let verified = verifiedToken(token, now: nowSeconds) else { return completion(.refused(invalidToken: true)) }
            let identity = ClientIdentity(user: verified.user, credential: keepsCredential ? verified.credential : nil)
            completion(.authenticated(RequestAuthentication(identity: identity, tokenAccess: verified.access)))
        case .unusable:
            if let limited = limitedOutcome(address) { return completion(limited) }
            verifier.failed(address, now: MonotonicClock.now())
            completion(.refused(invalidToken: false))
        case .basic(let credential):
            if let limited = limitedOutcome(address) { return completion(limited) }
            verifier.verify(credential, address: address, now: MonotonicClock.now(), reportingTo: loop) { [verifier] verdict in
                switch verdict {
                case .valid(let user):
                    let identity = ClientIdentity(user: user, credential: keepsCredential ? credential : nil)
                    completion(.authenticated(RequestAuthentication(identity: identity)))
                case .wrongPassword, .unknownUser:
                    // A wrong password of an htpasswd user was counted by the verifier, also on
                    // a `credentials: client` route: a `pull: [user]` list tells a right one
                    // from a wrong one.
                    if keepsCredential { return completion(.authenticated(RequestAuthentication(identity: ClientIdentity(credential: credential)))) }
                    if verdict == .unknownUser { verifier.failed(address, now: MonotonicClock.now()) }
                    completion(.refused(invalidToken: false))
                case .busy:
                    completion(.busy)
                case .limited(let nanoseconds):
                    completion(.limited(retryAfterSeconds: Self.wholeSeconds(nanoseconds)))
                }
            }
        }
    }

    /// `.limited` when `address` made too many failed attempts lately.
    func limitedOutcome(_ address: String) -> Outcome? {
        guard let nanoseconds = verifier.retryAfter(address, now: MonotonicClock.now()) else { return nil }
        return .limited(retryAfterSeconds: Self.wholeSeconds(nanoseconds))
    }

    /// A wait in nanoseconds as whole seconds for Retry-After: rounded up, at least 1.
    static func wholeSeconds(_ nanoseconds: Int64) -> Int64 {
        max(1, (nanoseconds + 999_999_999) / 1_000_000_000)
    }
}
