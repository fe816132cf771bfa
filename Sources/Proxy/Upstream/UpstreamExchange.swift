import Glibc
import ProxySystem
/// One logical request to an upstream registry: sent with the upstream's
/// credentials, answering a bearer or basic challenge once, and following
/// redirects (301/302/303/307/308, at most five) as Docker Hub and S3/CDN
/// blob backends send them. Redirects are never relayed to the client, and
/// the upstream's Authorization is never sent to another host.
///
/// The final response (anything but a handled 401 or redirect) goes to
/// `handler` unchanged. Confinement: loop-confined.
package final class UpstreamExchange: UpstreamResponseHandler {
    private enum Pending {
        case deliver
        case retryWithBearer(AuthChallenge)
        case retryWithBasic
        case redirect(Origin, String)
    }

    static let maximumRedirects = 5

    let registry: UpstreamRegistry
    private let pool: UpstreamPool
    private var handler: UpstreamResponseHandler?
    private var request: UpstreamRequest
    private let scope: String
    private var redirectCount = 0
    private var authAttempted = false
    /// Whether the request now carries a token fetched for it: a 401 to that is a denial of
    /// the scope, not a stale token.
    private var sentFreshToken = false
    private var pending = Pending.deliver
    private var connection: UpstreamConnection?
    private var tokenFetch: BufferedUpstreamResponse?

    /// - Parameters:
    ///   - request: the request to the upstream's own origin.
    ///   - scope: the token scope it needs (`repository:<name>:pull`).
    package init(registry: UpstreamRegistry, pool: UpstreamPool, request: UpstreamRequest, scope: String, handler: UpstreamResponseHandler) {
        self.registry = registry
        self.pool = pool
        self.request = request
        self.scope = scope
        self.handler = handler
    }

    /// Sends the request (with a cached token or basic credentials if any), unless the
    /// upstream's rate limit or manifest budget forbids it now (``UpstreamRateLimiter``):
    /// then the handler gets, at the end of this loop turn, a 429 with the seconds still to
    /// wait in `Retry-After`, and nothing is sent.
    package func start() {
        let manifest = UpstreamRateLimiter.ManifestRequestKind(method: request.method.token, pathAndQuery: request.pathAndQuery)
        if let refusal = registry.rateLimiter.admission(manifest: manifest, repository: repository, now: MonotonicClock.now()) {
            refuse(refusal)
            return
        }
        if let token = registry.token(for: scope) {
            setAuthorization(token.authorizationValue)
        } else if let basic = registry.basicAuthorization, registry.prefersBasic {
            setAuthorization(basic)
        }
        send()
    }

    /// Stops reporting to the handler and drops the upstream connection.
    package func cancel() {
        handler = nil
        connection?.cancel()
        connection = nil
        tokenFetch?.cancel()
        tokenFetch = nil
    }

    /// Stops taking the response body from the upstream until ``resumeBody()`` (TCP flow
    /// control holds the sender); the stall timeouts do not run meanwhile. Loop thread.
    package func pauseBody() {
        connection?.pauseBody()
    }

    /// Takes the body again, starting with what was read before the pause.
    package func resumeBody() {
        connection?.resumeBody()
    }

    /// The repository named by the token scope (`repository:<name>:pull`).
    private var repository: String? {
        let parts = scope.split(separator: ":")
        return parts.count == 3 ? String(parts[1]) : nil
    }

    /// Reports an answer to the rate limiter. `Retry-After` is read only on a 429, the one
    /// answer it is remembered for.
    private func observeRateLimit(_ head: UpstreamResponseHead) {
        let retryAfter = head.status == 429
            ? RateLimitFields.retryAfter(head.field("retry-after"), nowUnixSeconds: Int64(time(nil))) : nil
        registry.rateLimiter.observe(
            status: head.status, retryAfter: retryAfter,
            limit: RateLimitFields.count(head.field("ratelimit-limit")),
            remaining: RateLimitFields.count(head.field("ratelimit-remaining")),
            repository: repository, now: MonotonicClock.now())
    }

    private func refuse(_ refusal: UpstreamRateLimiter.Refusal) {
        let seconds = RateLimitFields.retryAfterSeconds(refusal.retryAfter)
        let reason: String
        switch refusal {
        case .rateLimited: reason = "rate-limited"
        case .budgetSpent: reason = "manifest-budget"
        }
        let head = UpstreamResponseHead(status: 429, fields: [("retry-after", "\(seconds)"), (Self.refusalField, reason)], contentLength: 0)
        pool.loop.deferToEndOfTurn { [self] in
            guard let handler else { return }
            self.handler = nil
            handler.upstreamReceivedHead(head)
            handler.upstreamFinished()
        }
    }

    /// Marks a 429 that Cistern answered for the upstream without asking it: its value says
    /// why (`rate-limited`: a remembered 429; `manifest-budget`: the hourly budget is spent).
    package static let refusalField = "x-cistern-refused"

    private func send() {
        let connection = pool.connection(to: request.origin, via: registry.egress.proxy(for: request.origin))
        self.connection = connection
        pending = .deliver
        connection.start(request, handler: self)
    }

    private func setAuthorization(_ value: String?) {
        request.fields.removeAll { $0.name == "Authorization" }
        if let value { request.fields.append(("Authorization", value)) }
    }

    // MARK: UpstreamResponseHandler

    package func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        if request.origin == registry.origin {
            observeRateLimit(head)
            registry.nodeIDs.learn(fromVia: head.fieldValues("via"))
        }
        if head.status == 401, sentFreshToken, request.origin == registry.origin {
            registry.rememberDenied(scope)
        }
        if head.status == 401, !authAttempted, request.origin == registry.origin, !registry.isDenied(scope) {
            let challenges = head.fieldValues("www-authenticate").flatMap { AuthChallenge.parse($0) }
            if let bearer = challenges.first(where: { if case .bearer = $0 { true } else { false } }) {
                authAttempted = true
                pending = .retryWithBearer(bearer)
                return
            }
            if challenges.contains(where: { if case .basic = $0 { true } else { false } }), registry.basicAuthorization != nil {
                authAttempted = true
                pending = .retryWithBasic
                return
            }
        }
        if [301, 302, 303, 307, 308].contains(head.status), let location = head.field("location") {
            guard redirectCount < UpstreamExchange.maximumRedirects else {
                finishWithFailure(.tooManyRedirects)
                return
            }
            guard let target = request.origin.resolve(location: location, basePath: request.pathAndQuery) else {
                finishWithFailure(.badRedirect(location))
                return
            }
            redirectCount += 1
            pending = .redirect(target.origin, target.pathAndQuery)
            return
        }
        if head.status == 401 || head.status == 403, request.origin != registry.origin {
            // The upstream redirected here (a signed storage URL): this host's refusal is no
            // answer of the upstream's, and must not read as the upstream denying access.
            finishWithFailure(.redirectTargetRefused(origin: request.origin.hostField, status: head.status))
            return
        }
        handler?.upstreamReceivedHead(head)
    }

    package func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {
        // Every body byte read counts as traffic, also a discarded 401 or 3xx body.
        registry.traffic?.received(bytes.count)
        guard case .deliver = pending else { return }  // discarding a 401 or 3xx body
        handler?.upstreamReceivedBody(bytes)
    }

    package func upstreamFinished() {
        connection = nil
        switch pending {
        case .deliver:
            let handler = self.handler
            self.handler = nil
            handler?.upstreamFinished()
        case .retryWithBasic:
            registry.prefersBasic = true
            setAuthorization(registry.basicAuthorization)
            send()
        case .retryWithBearer(let challenge):
            fetchToken(challenge)
        case .redirect(let origin, let pathAndQuery):
            if origin != registry.origin { setAuthorization(nil) }
            if request.method != .head { request.method = .get }
            request.origin = origin
            request.pathAndQuery = pathAndQuery
            send()
        }
    }

    package func upstreamFailed(_ error: UpstreamError) {
        connection = nil
        finishWithFailure(error)
    }

    private func finishWithFailure(_ error: UpstreamError) {
        connection?.cancel()
        connection = nil
        let handler = self.handler
        self.handler = nil
        handler?.upstreamFailed(error)
    }

    // MARK: Bearer tokens

    private func fetchToken(_ challenge: AuthChallenge) {
        guard case .bearer(let realm, let service, let challengeScope) = challenge else { return }
        let scopes = (challengeScope ?? scope).split(separator: " ").map(String.init)
        let tokenRequest: TokenRequest
        do {
            tokenRequest = try TokenRequest(realm: realm, service: service, scopes: scopes)
        } catch {
            finishWithFailure(.authentication("unusable token realm \(realm)"))
            return
        }
        let origin = Origin(useTLS: tokenRequest.usesTLS, host: tokenRequest.host, port: UInt16(clamping: tokenRequest.port))
        var fields: [(name: String, value: String)] = [("Accept", "application/json")]
        // The mirror's credentials go to the token service only over TLS, or
        // to the upstream's own host: a challenge must not be able to pull
        // them onto a cleartext connection elsewhere.
        if let basic = registry.basicAuthorization, tokenRequest.usesTLS || tokenRequest.host == registry.origin.host {
            fields.append(("Authorization", basic))
        }
        let fetch = BufferedUpstreamResponse(limit: 1 << 20) { [self] result in
            tokenFetch = nil
            tokenFetched(result)
        }
        tokenFetch = fetch
        pool.connection(to: origin, via: registry.egress.proxy(for: origin)).start(
            UpstreamRequest(method: .get, origin: origin, pathAndQuery: tokenRequest.target, fields: fields),
            handler: fetch)
    }

    private func tokenFetched(_ result: Result<(UpstreamResponseHead, [UInt8]), UpstreamError>) {
        guard handler != nil else { return }
        switch result {
        case .failure(let error):
            finishWithFailure(.authentication("token service: \(error)"))
        case .success(let (head, body)):
            guard head.status == 200 else {
                // The token service speaks for the upstream: its 429 is remembered as the
                // upstream's, and nothing is asked of either until the wait is over.
                if head.status == 429 { observeRateLimit(head) }
                finishWithFailure(.tokenServiceRefused(status: head.status, retryAfter: head.field("retry-after")))
                return
            }
            do {
                let token = try BearerToken.parse(json: body, now: ContinuousClock.now)
                registry.store(token, for: scope)
                sentFreshToken = true
                setAuthorization(token.authorizationValue)
                send()
            } catch {
                finishWithFailure(.authentication("token service sent an unusable token"))
            }
        }
    }
}

/// Collects a whole (small) upstream response in memory: token responses,
/// manifests, tag lists. Bodies over `limit` bytes fail the exchange.
/// Confinement: loop-confined.
package final class BufferedUpstreamResponse: UpstreamResponseHandler {
    private let limit: Int
    private var completion: ((Result<(UpstreamResponseHead, [UInt8]), UpstreamError>) -> Void)?
    private var head: UpstreamResponseHead?
    private var body: [UInt8] = []

    package init(limit: Int, completion: @escaping (Result<(UpstreamResponseHead, [UInt8]), UpstreamError>) -> Void) {
        self.limit = limit
        self.completion = completion
    }

    func cancel() { completion = nil }

    package func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        self.head = head
        if let length = head.contentLength, length <= Int64(limit) { body.reserveCapacity(Int(length)) }
    }

    package func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        if body.count + bytes.count > limit {
            complete(.failure(.malformedResponse("response body over \(limit) bytes")))
            return
        }
        body.append(contentsOf: bytes)
    }

    package func upstreamFinished() {
        guard let head else {
            complete(.failure(.malformedResponse("no response head")))
            return
        }
        complete(.success((head, body)))
    }

    package func upstreamFailed(_ error: UpstreamError) {
        complete(.failure(error))
    }

    private func complete(_ result: Result<(UpstreamResponseHead, [UInt8]), UpstreamError>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
