import Foundation

extension FakeUpstream {
    /// What the registry routes (`/v2/…`) require of a request.
    enum Authentication: Sendable {
        /// Nothing.
        case none
        /// `Authorization: Basic` with these credentials (RFC 7617).
        case basic(username: String, password: String)
        /// `Authorization: Bearer` with a token from the fake's token endpoint (Docker
        /// "Token Authentication Specification", RFC 6750).
        case token(TokenAuthConfiguration)
    }

    /// The token endpoint's settings.
    struct TokenAuthConfiguration: Sendable {
        /// The `service` named in challenges; token requests must send the same value.
        var service = "fake-registry"
        /// Credentials the token endpoint requires as `Authorization: Basic`; when nil it
        /// issues tokens anonymously.
        var username: String?
        /// See `username`.
        var password: String?
        /// Token lifetime in seconds (`expires_in`).
        var expiresInSeconds = 300
        /// The token endpoint's path on this server (the realm is `baseURL + path`).
        var path = "/token"
        /// Repositories whose scopes the endpoint leaves out of the tokens it issues, as Docker
        /// Hub answers an anonymous request for a private repository: a token with no access,
        /// which the registry routes then refuse with 401 `insufficient_scope`.
        var deniedRepositories: Set<String> = []

        /// A configuration with the given fields.
        init(
            service: String = "fake-registry", username: String? = nil, password: String? = nil, expiresInSeconds: Int = 300,
            deniedRepositories: Set<String> = []
        ) {
            self.service = service
            self.username = username
            self.password = password
            self.expiresInSeconds = expiresInSeconds
            self.deniedRepositories = deniedRepositories
        }
    }

    /// One token the endpoint issued.
    struct IssuedToken: Sendable {
        /// Scopes granted, as requested (`repository:<name>:<actions>`).
        let scopes: [String]
        /// When it stops being accepted (monotonic clock).
        var expiresAt: ContinuousClock.Instant

        /// Whether a scope grants `pull` on `repository` (action `pull` or `*`).
        func grantsPull(on repository: String) -> Bool {
            scopes.contains { scope in
                let parts = scope.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count >= 3, parts[0] == "repository" else { return false }
                let name = parts[1..<(parts.count - 1)].joined(separator: ":")
                let actions = parts[parts.count - 1].split(separator: ",")
                return name == repository && (actions.contains("pull") || actions.contains("*"))
            }
        }
    }

    /// Requires bearer tokens from the fake's own token endpoint on `/v2/` and every registry
    /// route from now on. Tokens issued earlier stay valid.
    func enableTokenAuth(_ configuration: TokenAuthConfiguration = TokenAuthConfiguration()) {
        state.withLock { $0.authentication = .token(configuration) }
    }

    /// Requires `Authorization: Basic` with these credentials on `/v2/` and every registry route.
    func enableBasicAuth(username: String, password: String) {
        state.withLock { $0.authentication = .basic(username: username, password: password) }
    }

    /// Serves without authentication again.
    func disableAuth() {
        state.withLock { $0.authentication = .none }
    }

    /// How many requests reached the token endpoint (answered or refused).
    var tokenRequestCount: Int {
        state.withLock { $0.tokenRequestCount }
    }

    /// Moves the token endpoint's clock forward by `duration`: tokens whose `expires_in`
    /// has passed on that clock are refused (a test's way to let time pass without sleeping).
    func advanceTokenClock(by duration: Duration) {
        state.withLock { $0.tokenClockOffset += duration }
    }

    /// Makes every token issued so far expired (instead of waiting `expires_in`).
    func expireAllTokens() {
        state.withLock { state in
            for token in state.issuedTokens.keys { state.issuedTokens[token]?.expiresAt = .now + state.tokenClockOffset }
        }
    }

    /// The 401 that refuses `request`, or nil when its credentials suffice.
    func authorizationFailure(for request: RecordedRequest, route: Route, state: FakeUpstreamState) -> FakeUpstreamResponse? {
        switch state.authentication {
        case .none:
            return nil
        case .basic(let username, let password):
            if Self.hasBasicCredentials(request, username: username, password: password) { return nil }
            return Self.unauthorized(challenge: #"Basic realm="fake""#)
        case .token(let configuration):
            var challenge = #"Bearer realm="\#(baseURL)\#(configuration.path)",service="\#(configuration.service)""#
            if let repository = route.repository { challenge += #",scope="repository:\#(repository):pull""# }
            guard let field = request.header("Authorization"), field.lowercased().hasPrefix("bearer ") else {
                return Self.unauthorized(challenge: challenge)
            }
            let token = String(field.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard let issued = state.issuedTokens[token], issued.expiresAt > .now + state.tokenClockOffset else {
                return Self.unauthorized(challenge: challenge + #",error="invalid_token""#)
            }
            if let repository = route.repository, !issued.grantsPull(on: repository) {
                return Self.unauthorized(challenge: challenge + #",error="insufficient_scope""#)
            }
            return nil
        }
    }

    private struct TokenBody: Encodable {
        let token: String
        let access_token: String
        let expires_in: Int
        let issued_at: String
    }

    /// The token endpoint (Docker token spec "Requesting a Token"): checks `service` and the
    /// optional Basic credentials, then issues a token for every requested `scope`.
    /// Counts the request. 404 when token auth is off.
    func tokenResponse(for request: RecordedRequest, state: inout FakeUpstreamState) -> FakeUpstreamResponse {
        state.tokenRequestCount += 1
        guard case .token(let configuration) = state.authentication else {
            return Self.answer(route: .unknown, request: request, content: state.content, wrongBytes: nil)
        }
        let query = Self.queryItems(request.query)
        guard query.contains(where: { $0.name == "service" && $0.value == configuration.service }) else {
            return Self.errorResponse(400, code: "DENIED", message: "unknown or missing service")
        }
        if let username = configuration.username, let password = configuration.password,
            !Self.hasBasicCredentials(request, username: username, password: password)
        {
            return Self.unauthorized(challenge: #"Basic realm="fake-token""#)
        }
        let scopes = query.filter { $0.name == "scope" }.flatMap { $0.value.split(separator: " ").map(String.init) }
            .filter { scope in !configuration.deniedRepositories.contains { scope.hasPrefix("repository:\($0):") } }
        let token = "fake-token-\(state.tokenRequestCount)-\(UInt64.random(in: 0...UInt64.max))"
        state.issuedTokens[token] = IssuedToken(
            scopes: scopes, expiresAt: .now + state.tokenClockOffset + .seconds(configuration.expiresInSeconds))
        let body = TokenBody(
            token: token, access_token: token, expires_in: configuration.expiresInSeconds,
            issued_at: ISO8601DateFormatter().string(from: Date()))
        return FakeUpstreamResponse(statusCode: 200, headers: [TestHeaderField("Content-Type", "application/json")], body: Self.encodeJSON(body))
    }

    private static func unauthorized(challenge: String) -> FakeUpstreamResponse {
        var response = errorResponse(401, code: "UNAUTHORIZED", message: "authentication required")
        response.headers.append(TestHeaderField("WWW-Authenticate", challenge))
        return response
    }

    /// Whether `request` carries `Authorization: Basic` with exactly this user-id and password
    /// (RFC 7617 section 2: base64 of `user-id:password`).
    private static func hasBasicCredentials(_ request: RecordedRequest, username: String, password: String) -> Bool {
        guard let field = request.header("Authorization"), field.lowercased().hasPrefix("basic ") else { return false }
        let encoded = field.dropFirst("basic ".count).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return false }
        return String(text[..<colon]) == username && String(text[text.index(after: colon)...]) == password
    }
}
