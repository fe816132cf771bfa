import ProxyConfig
import ProxyLoop
import ProxyRegistry
import ProxySystem

/// Client authentication and authorisation (issue 17 items 1, 2, 4): reads the credential
/// a request presents (a Cistern token, or Basic), decides what it may do on a route, and
/// issues tokens (``issueToken(query:authorization:address:now:reportingTo:completion:)``).
///
/// Built once at start-up from `auth:` (reads the htpasswd file and the token key, creating
/// it when missing). Thread-safe: immutable but for the ``CredentialVerifier``, which guards
/// its own state.
package final class Authenticator: Sendable {
    /// Signs and verifies tokens with the key file's derived keys.
    package let codec: TokenCodec
    /// The htpasswd users, their bcrypt checks and the failed-attempt counts.
    package let verifier: CredentialVerifier
    /// The htpasswd file, read again on SIGHUP; nil without users.
    package let htpasswdPath: String?
    /// Seconds an issued token lives.
    package let tokenLifetimeSeconds: Int64
    /// The routes whose principals decide (the same table the dispatcher routes by).
    package let routes: RouteTable
    /// Remote registries that take each client's own credentials (`credentials: client`).
    package let clientCredentialRegistries: Set<String>
    /// Wall-clock time for token `iat`/`exp` (a test clock in tests).
    package let clock: any WallClock
    /// Tokens verified lately (held only for a dictionary lookup or insert).
    private let verifiedTokens = Locked(VerifiedTokenCache())

    /// - Throws: ``ConfigurationError`` naming `auth.htpasswd` or `auth.token_key_file`.
    package convenience init(configuration: Configuration, routes: RouteTable, clock: any WallClock = SystemWallClock()) throws {
        guard let auth = configuration.auth, let keyFile = configuration.effectiveTokenKeyFile else {
            preconditionFailure("Authenticator without auth:")
        }
        let htpasswd = try auth.htpasswd.map { try Htpasswd.read(path: $0) } ?? Htpasswd(hashes: [:])
        let key = try TokenKeyFile.loadOrCreate(path: keyFile)
        self.init(key: key, htpasswd: htpasswd, htpasswdPath: auth.htpasswd, tokenLifetime: auth.tokenTTL, routes: routes,
                  clientCredentialRegistries: configuration.clientCredentialRegistryNames,
                  limiter: FailedAttemptLimiter(maximumFailures: auth.maxFailedAttempts,
                                                windowNanoseconds: MonotonicClock.nanoseconds(auth.failedAttemptsWindow)),
                  clock: clock)
    }

    /// An authenticator from its parts (tests build one without files).
    package init(key: [UInt8], htpasswd: Htpasswd, htpasswdPath: String?, tokenLifetime: Duration, routes: RouteTable,
                 clientCredentialRegistries: Set<String>, limiter: FailedAttemptLimiter, clock: any WallClock) {
        codec = TokenCodec(key: key)
        verifier = CredentialVerifier(htpasswd: htpasswd, limiter: limiter)
        self.htpasswdPath = htpasswdPath
        tokenLifetimeSeconds = Int64(tokenLifetime.components.seconds)
        self.routes = routes
        self.clientCredentialRegistries = clientCredentialRegistries
        self.clock = clock
    }

    /// What an `Authorization` field presents.
    package enum Presented: Sendable, Equatable {
        case nothing
        case bearer(Substring)
        case basic(ClientCredential)
        /// Another scheme, or a Basic value that does not parse: treated as no credential
        /// that could succeed (401).
        case unusable
    }

    /// What the `Authorization` value `authorization` presents (schemes matched case-insensitively).
    package static func presented(_ authorization: String?) -> Presented {
        guard let authorization else { return .nothing }
        let value = authorization.drop { $0 == " " }
        if value.count > 7, value.prefix(7).lowercased() == "bearer " {
            return .bearer(value.dropFirst(7).drop { $0 == " " })
        }
        if let credential = ClientCredential(basicAuthorization: value) { return .basic(credential) }
        return .unusable
    }

    /// The claims of a valid `token` presented at `now` (seconds): from memory when it was
    /// checked before, else verified (``TokenCodec/verify(_:now:)``) and remembered.
    package func verifiedToken(_ token: Substring, now: Int64) -> TokenCodec.Verified? {
        if let known = verifiedTokens.withLock({ $0.verified(token, now: now) }) { return known }
        guard let verified = codec.verify(token, now: now) else { return nil }
        verifiedTokens.withLock { $0.remember(token, verified, now: now) }
        return verified
    }

    /// Seconds since the epoch.
    package var nowSeconds: Int64 { clock.nanosecondsSinceEpoch() / 1_000_000_000 }

    /// Whether `rule` leads to a `credentials: client` remote.
    package func takesClientCredentials(_ rule: RouteTable.Rule) -> Bool {
        rule.kind == .remote && clientCredentialRegistries.contains(rule.registry)
    }

    /// Decides whether `authentication` may do `action` on repository `name` of `rule`.
    package func decide(_ authentication: RequestAuthentication, rule: RouteTable.Rule, name: RepositoryName,
                        action: RegistryAction) -> AccessDecision {
        let principals = action == .pull ? rule.pull : rule.push
        let identity = authentication.identity
        guard principals.allows(identity, upstreamChecksCredentials: takesClientCredentials(rule)) else {
            return identity.isAnonymous ? .challenge(scope: Self.scope(name, action)) : .denied
        }
        if let access = authentication.tokenAccess,
           !access.contains(where: { $0.type == "repository" && $0.name == name.string && action.isCovered(by: $0.actions) }) {
            return .challenge(scope: Self.scope(name, action))
        }
        return .allowed
    }

    /// The challenge scope of an action: `repository:NAME:pull`, or `pull,push` for a write
    /// (clients ask for both when pushing).
    package static func scope(_ name: RepositoryName, _ action: RegistryAction) -> String {
        "repository:\(name.string):" + (action == .pull ? "pull" : "pull,push")
    }

    /// The `WWW-Authenticate` value (RFC 6750 section 3; Docker token spec): realm, service,
    /// then scope and error when given.
    package static func challenge(realm: String, scope: String? = nil, error: String? = nil) -> String {
        var value = "Bearer realm=\"\(realm)\",service=\"\(TokenCodec.service)\""
        if let scope { value += ",scope=\"\(scope)\"" }
        if let error { value += ",error=\"\(error)\"" }
        return value
    }

    /// Users that routes' `pull:` or `push:` lists name but the htpasswd file does not have
    /// (a typo, or a user not added yet), sorted: worth a warning, not a refusal.
    package func routeUsersMissingFromHtpasswd() -> [String] {
        var named: Set<String> = []
        for rule in routes.rules {
            for principals in [rule.pull, rule.push] {
                switch principals {
                case .users(let names): named.formUnion(names)
                case .anyone, .authenticated, .nobody: break
                }
            }
        }
        return named.filter { !verifier.knows($0) }.sorted()
    }

    /// Reads the htpasswd file again (SIGHUP): the parsed users, for ``CredentialVerifier/replace(_:)``.
    /// - Throws: ``ConfigurationError`` naming `auth.htpasswd`.
    package func readUsersAgain() throws -> Htpasswd? {
        try htpasswdPath.map { try Htpasswd.read(path: $0) }
    }
}
