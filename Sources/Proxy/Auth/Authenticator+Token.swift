import Foundation
import ProxyLoop
import ProxyRegistry
import ProxySystem

extension Authenticator {
    /// The answer of the token endpoint.
    package enum TokenAnswer: Sendable, Equatable {
        /// 200 with this JSON body (Docker token spec "Token Response Fields": `token`,
        /// `access_token`, `expires_in`, `issued_at`).
        case issued(body: String)
        /// 401: wrong credentials.
        case refused
        /// 429 with Retry-After seconds.
        case limited(retryAfterSeconds: Int64)
        /// 503: the credential check's pool is full.
        case busy
    }

    /// `GET /token?service=cistern&scope=repository:NAME:pull,push…` (Docker token
    /// authentication specification): anonymous clients get a token with the actions
    /// `anyone` holds on each scope's route; a client with a valid htpasswd credential (Basic)
    /// gets its own grants; a credential that is no htpasswd user is refused (401) unless a
    /// scope's repository routes to a `credentials: client` remote, where it is sealed in the
    /// token for the upstream to check, without local grants elsewhere (a login, which names no
    /// scope, is accepted then too when any such remote exists). `completion` runs on
    /// `loop`, possibly before this returns.
    /// - Parameters:
    ///   - query: the request target's query, raw.
    ///   - address: the client address failed attempts are counted for.
    package func issueToken(query: String, authorization: String?, address: String, reportingTo loop: EventLoop,
                            completion: @escaping @Sendable (TokenAnswer) -> Void) {
        let scopes = TokenAccess.scopes(inQuery: query)
        let resolved = scopes.compactMap { scope -> (TokenAccess, RepositoryName, RouteTable.Rule)? in
            guard scope.type == "repository", let name = try? RepositoryName(parsing: scope.name),
                  let rule = try? routes.route(for: name, tag: nil, ns: nil) else { return nil }
            return (scope, name, rule)
        }
        // A request without scopes is a login (`docker login`, `podman login`): with remotes that
        // take client credentials, a credential Cistern does not know may be one of theirs, and
        // only their upstreams can tell, so the login is not refused here.
        let forUpstream = resolved.contains { takesClientCredentials($0.2) } || (scopes.isEmpty && !clientCredentialRegistries.isEmpty)
        let issue: @Sendable (ClientIdentity) -> Void = { [self] identity in
            let authentication = RequestAuthentication(identity: identity)
            let access = resolved.compactMap { scope, name, rule -> TokenAccess? in
                let granted = RegistryAction.allCases.filter { action in
                    (action == .pull || rule.kind == .storage)
                        && (scope.actions.contains(action.rawValue) || scope.actions.contains("*"))
                        && decide(authentication, rule: rule, name: name, action: action) == .allowed
                }
                return granted.isEmpty ? nil : TokenAccess(name: scope.name, actions: granted.map(\.rawValue))
            }
            let now = nowSeconds
            let token = codec.issue(user: identity.user, access: access, credential: forUpstream ? identity.credential : nil,
                                    now: now, lifetime: tokenLifetimeSeconds)
            completion(.issued(body: Self.tokenResponse(token, now: now, lifetime: tokenLifetimeSeconds)))
        }
        switch Self.presented(authorization) {
        case .nothing, .bearer:
            issue(.anonymous)
        case .unusable:
            if let limited = limitedOutcome(address) { return completion(Self.tokenAnswer(limited)) }
            verifier.failed(address, now: MonotonicClock.now())
            completion(.refused)
        case .basic(let credential):
            if let limited = limitedOutcome(address) { return completion(Self.tokenAnswer(limited)) }
            verifier.verify(credential, address: address, now: MonotonicClock.now(), reportingTo: loop) { [verifier] verdict in
                switch verdict {
                case .valid(let user):
                    issue(ClientIdentity(user: user, credential: credential))
                case .wrongPassword, .unknownUser:
                    // A wrong password of an htpasswd user is a guess at it, and the verifier
                    // counted it even where the credential may be an upstream's: the token's
                    // `sub` (and its grants) tell a right password from a wrong one.
                    if forUpstream { return issue(ClientIdentity(credential: credential)) }
                    if verdict == .unknownUser { verifier.failed(address, now: MonotonicClock.now()) }
                    completion(.refused)
                case .busy:
                    completion(.busy)
                case .limited(let nanoseconds):
                    completion(.limited(retryAfterSeconds: Self.wholeSeconds(nanoseconds)))
                }
            }
        }
    }

    private static func tokenAnswer(_ outcome: Outcome) -> TokenAnswer {
        if case .limited(let seconds) = outcome { return .limited(retryAfterSeconds: seconds) }
        return .busy
    }

    /// The token response JSON: `token` and `access_token` (the same value; the OAuth 2
    /// field for clients that read that one), `expires_in` seconds, `issued_at` RFC 3339.
    static func tokenResponse(_ token: String, now: Int64, lifetime: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let issued = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(now)))
        return #"{"token":"\#(token)","access_token":"\#(token)","expires_in":\#(lifetime),"issued_at":"\#(issued)"}"#
    }
}
