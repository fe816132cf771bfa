import ProxyAuth
import ProxyHTTP
import ProxyLoop
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport

/// Client authentication at the dispatcher (issue 17): who a request comes from and whether
/// it may act, answered 401 with a Bearer challenge (Docker token authentication
/// specification; RFC 6750 section 3), 403 DENIED, 429 TOOMANYREQUESTS with Retry-After,
/// or handed on with its ``RequestAuthentication``. Without `auth:` every client is
/// anonymous and the principals decide alone (403 when they refuse).
extension RequestDispatcher {
    /// What is known of a request's admission before any credential is checked.
    enum Admission {
        /// It may act, as this: without `auth:` when the principals allow anonymous clients;
        /// with `auth:` when it presents no credential and they allow anonymous clients.
        case admitted(RequestAuthentication)
        /// Answered already (403 DENIED without `auth:`).
        case answered
        /// Its credential must be read first, by this authenticator:
        /// ``authorize(_:rule:name:action:authenticator:_:_:then:)``.
        case pending(Authenticator)
    }

    /// The synchronous part of admitting a request, with no closure: the whole of it for
    /// every request without `auth:` and for anonymous pulls with it, which then cost nothing
    /// for authentication; the rest is ``authorize(_:rule:name:action:authenticator:_:_:then:)``.
    static func admission(_ head: RequestHead, rule: RouteTable.Rule, name: RepositoryName, action: RegistryAction,
                          _ connection: any ClientResponder, _ context: LoopContext) -> Admission {
        guard let authenticator = context.shared.authenticator else {
            guard (action == .pull ? rule.pull : rule.push).allows(.anonymous) else {
                connection.respond(connection.requestID, error: .denied("\(action == .pull ? "pull" : "push") of \(name.string) is not allowed"),
                                   headOnly: head.method == .head)
                return .answered
            }
            return .admitted(.anonymous)
        }
        // No credential: `authenticate` answers `.authenticated(.anonymous)` at once; when
        // `decide` allows that, so does `authorize`. Anything else goes the full way.
        guard head.authorization == nil, case .allowed = authenticator.decide(.anonymous, rule: rule, name: name, action: action) else {
            return .pending(authenticator)
        }
        return .admitted(.anonymous)
    }

    /// For a request whose ``admission(_:rule:name:action:_:_:)`` is pending: runs `body`
    /// with the request's authentication once `authenticator` has read its credential and it
    /// may do `action` on `name` (served by `rule`); or answers. `body` runs on the loop, now
    /// or after a bcrypt check.
    static func authorize(_ head: RequestHead, rule: RouteTable.Rule, name: RepositoryName, action: RegistryAction,
                          authenticator: Authenticator, _ connection: any ClientResponder, _ context: LoopContext,
                          then body: @escaping (RequestAuthentication) -> Void) {
        let id = connection.requestID
        let headOnly = head.method == .head
        let realm = Self.realm(head, connection)
        let pending = LoopBound((connection, body), loop: context.loop)
        authenticator.authenticate(head.authorization, rule: rule, address: connection.clientAddressForLimits,
                                   reportingTo: context.loop) { outcome in
            let (connection, body) = pending.value
            let scope = Authenticator.scope(name, action)
            switch outcome {
            case .authenticated(let authentication):
                switch authenticator.decide(authentication, rule: rule, name: name, action: action) {
                case .allowed:
                    body(authentication)
                case .challenge(let scope):
                    let error = authentication.tokenAccess == nil ? nil : "insufficient_scope"
                    connection.respond(id, error: .unauthorized(), challenge: Authenticator.challenge(realm: realm, scope: scope, error: error),
                                       headOnly: headOnly)
                case .denied:
                    connection.respond(id, error: .denied("\(action.rawValue) of \(name.string) is not allowed for \(authentication.identity.user ?? "this client")"),
                                       headOnly: headOnly)
                }
            case .refused(let invalidToken):
                context.shared.metrics.auth.refused(invalidToken: invalidToken)
                connection.respond(id, error: .unauthorized(), challenge: Authenticator.challenge(realm: realm, scope: scope,
                                                                                                  error: invalidToken ? "invalid_token" : nil),
                                   headOnly: headOnly)
            case .limited(let seconds):
                respondLimited(id, seconds: seconds, headOnly: headOnly, connection, context)
            case .busy:
                respondBusy(id, headOnly: headOnly, connection)
            }
        }
    }

    /// `GET /v2/` with `auth:`: 200 for a valid token or credential, else 401 with the
    /// challenge that tells clients where tokens are (always, so every client learns the
    /// realm before it pulls or logs in).
    static func serveBase(_ head: RequestHead, authenticator: Authenticator, _ connection: any ClientResponder, _ context: LoopContext,
                          ok: @escaping () -> Void) {
        let id = connection.requestID
        let headOnly = head.method == .head
        let realm = Self.realm(head, connection)
        let pending = LoopBound((connection, ok), loop: context.loop)
        authenticator.authenticate(head.authorization, rule: nil, address: connection.clientAddressForLimits, reportingTo: context.loop) { outcome in
            let (connection, ok) = pending.value
            switch outcome {
            case .authenticated(let authentication) where authentication.tokenAccess != nil || !authentication.identity.isAnonymous:
                ok()
            case .authenticated:
                connection.respond(id, error: .unauthorized(), challenge: Authenticator.challenge(realm: realm), headOnly: headOnly)
            case .refused(let invalidToken):
                context.shared.metrics.auth.refused(invalidToken: invalidToken)
                connection.respond(id, error: .unauthorized(), challenge: Authenticator.challenge(realm: realm, error: invalidToken ? "invalid_token" : nil),
                                   headOnly: headOnly)
            case .limited(let seconds):
                respondLimited(id, seconds: seconds, headOnly: headOnly, connection, context)
            case .busy:
                respondBusy(id, headOnly: headOnly, connection)
            }
        }
    }

    /// `GET /token?service=cistern&scope=…`: a token as JSON (`Cache-Control: no-store`,
    /// RFC 6749 section 5.1), 401 for a wrong credential, 429 when the address is limited;
    /// 404 without `auth:`.
    static func serveToken(_ head: RequestHead, _ connection: any ClientResponder, _ context: LoopContext) {
        let id = connection.requestID
        let headOnly = head.method == .head
        guard let authenticator = context.shared.authenticator else {
            return connection.respond(id, error: .notFound("client authentication is not configured"), headOnly: headOnly)
        }
        let query = head.target.firstIndex(of: "?").map { String(head.target[head.target.index(after: $0)...]) } ?? ""
        let realm = Self.realm(head, connection)
        let pending = LoopBound(connection, loop: context.loop)
        authenticator.issueToken(query: query, authorization: head.authorization, address: connection.clientAddressForLimits,
                                 reportingTo: context.loop) { answer in
            let connection = pending.value
            switch answer {
            case .issued(let body):
                context.shared.metrics.auth.tokenIssued()
                let response = ResponseHead(status: 200, fields: [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")])
                connection.respond(id, head: response, body: .bytes(Array(body.utf8)), headOnly: headOnly, outcome: nil)
            case .refused:
                context.shared.metrics.auth.refused(invalidToken: false)
                connection.respond(id, error: .unauthorized("wrong user name or password"), challenge: "Basic realm=\"\(realm)\"", headOnly: headOnly)
            case .limited(let seconds):
                respondLimited(id, seconds: seconds, headOnly: headOnly, connection, context)
            case .busy:
                respondBusy(id, headOnly: headOnly, connection)
            }
        }
    }

    /// 429 TOOMANYREQUESTS with Retry-After: too many failed attempts from this address.
    private static func respondLimited(_ id: UInt64, seconds: Int64, headOnly: Bool, _ connection: any ClientResponder, _ context: LoopContext) {
        context.shared.metrics.auth.limitedRequest()
        connection.respond(id, error: .tooManyRequests("too many failed authentication attempts"), retryAfter: "\(seconds)", headOnly: headOnly)
    }

    /// 503: the credential check's pool is full; the client retries.
    private static func respondBusy(_ id: UInt64, headOnly: Bool, _ connection: any ClientResponder) {
        connection.respond(id, error: RegistryError(code: .init(rawValue: "UNAVAILABLE"), status: 503, message: "authentication busy; retry"),
                           retryAfter: "1", headOnly: headOnly)
    }

    /// The token endpoint's URL as the client reached Cistern: `http(s)://<Host>/token`.
    static func realm(_ head: RequestHead, _ connection: any ClientResponder) -> String {
        let scheme = connection.clientUsedTLS(forwardedProto: head.forwardedProto) ? "https" : "http"
        return "\(scheme)://\(head.host ?? "localhost")/token"
    }
}
