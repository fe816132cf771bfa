import ProxyHTTP
import ProxyLoop
import ProxyMetrics
import ProxyRegistry
import ProxySystem
import ProxyTransport
import ProxyUpstream

/// The gate before cached content on a `credentials: client` route (issue 17 item 3): a
/// blob or manifest is served to a client only once the upstream confirmed, with a HEAD made
/// with that client's own credential (none: anonymous), that it may read the repository.
///
/// - The verdict (2xx allowed, 401 unauthorized, 403 denied, also when the token service
///   gives it) is remembered per (credential fingerprint, repository) for the remote's
///   `client_access_ttl` (``ClientAccessTable``), so one HEAD serves a whole pull.
/// - Concurrent confirmations of one (credential, repository) share one HEAD; a waiter whose
///   target differs from the HEAD's and that got no verdict (a 404, a failure) asks once more
///   for its own target.
/// - Any other answer (404, 429, 5xx, unreachable) confirms nothing and is the client's
///   answer: content is never served on the strength of a cache alone.
///
/// Confinement: ``confirm(_:credential:name:upstream:head:connection:context:proceed:)`` runs
/// on the connection's loop, and so do its answers.
package enum ClientAccessGate {
    /// What the confirmation HEAD asks for in the repository.
    package enum Probe: Sendable {
        /// The manifest by the client's own reference (tag or digest).
        case manifest(Reference)
        /// The blob.
        case blob(Digest)

        var path: String {
            switch self {
            case .manifest(let reference): "manifests/\(reference.string)"
            case .blob(let digest): "blobs/\(digest.string)"
            }
        }

        var notFound: RegistryError {
            switch self {
            case .manifest(let reference): .manifestUnknown(reference)
            case .blob(let digest): .blobUnknown(digest)
            }
        }
    }

    /// The challenge of a 401 for a refused or missing client credential: Basic (RFC 7617
    /// section 2), which curl, scripts and skopeo answer. Under an `auth:` section the token
    /// endpoint's Bearer challenge takes its place.
    package static let challenge = "Basic realm=\"cistern\", charset=\"UTF-8\""

    /// One request waiting for its confirmation.
    private struct Attempt {
        let probe: Probe
        let credential: ClientCredential?
        let key: ClientAccessConfirmations.Key
        let repository: RepositoryName
        let upstream: UpstreamRegistry
        let connection: any ClientResponder
        let context: LoopContext
        let id: UInt64
        let headOnly: Bool
        let challenge: String
        let proceed: () -> Void
    }

    /// Runs `proceed` once `upstream` confirmed (now, or remembered) that `credential` may read
    /// `name`; otherwise answers the request: 401 UNAUTHORIZED with `challenge`, 403 DENIED,
    /// or the upstream's failure. Loop thread.
    /// - Parameters:
    ///   - credential: the client's own credential; nil = anonymous, asked as such.
    ///   - name: the repository as the client named it.
    ///   - challenge: the `WWW-Authenticate` of a 401: ``challenge`` (Basic) without `auth:`,
    ///     Cistern's Bearer challenge with the repository's pull scope under it.
    package static func confirm(_ probe: Probe, credential: ClientCredential?, name: RepositoryName, upstream: UpstreamRegistry,
                                head: RequestHead, connection: any ClientResponder, context: LoopContext,
                                challenge: String = ClientAccessGate.challenge, proceed: @escaping () -> Void) {
        let repository = upstream.upstreamName(name)
        let key = ClientAccessConfirmations.Key(upstream: upstream.name, credential: credential?.fingerprint ?? "",
                                                repository: repository.string)
        let attempt = Attempt(probe: probe, credential: credential, key: key, repository: repository, upstream: upstream,
                              connection: connection, context: context, id: connection.requestID,
                              headOnly: head.method == .head, challenge: challenge, proceed: proceed)
        if let verdict = context.shared.clientAccess.verdict(for: key, now: MonotonicClock.now()) {
            deliver(.success(verdict), attempt)
            return
        }
        ask(attempt, retried: false)
    }

    private static func ask(_ attempt: Attempt, retried: Bool) {
        let shared = attempt.context.shared
        let upstream = attempt.upstream
        let key = attempt.key
        let path = upstream.pathAndQuery("/v2/\(attempt.repository.string)/\(attempt.probe.path)")
        let flightKey = "\(key.upstream)|\(key.credential)|\(key.repository)"
        let bound = LoopBound(attempt, loop: attempt.context.loop)
        let leader = shared.clientAccess.flights.join(flightKey, loop: attempt.context.loop) { answer in
            let attempt = bound.value
            if case .failure = answer.result, answer.pathAndQuery != path, !retried {
                ask(attempt, retried: true)
                return
            }
            deliver(answer.result, attempt)
        }
        guard leader else { return }
        var fields = attempt.connection.trace.upstreamFields(for: upstream, nodeID: attempt.context.nodeID)
        if case .manifest = attempt.probe { fields.append(("Accept", MediaType.allManifestTypes.joined(separator: ", "))) }
        let request = UpstreamRequest(method: .head, origin: upstream.origin, pathAndQuery: path, fields: fields)
        let probe = attempt.probe
        let handler = BufferedUpstreamResponse(limit: 0) { result in
            let answer = verdict(result, upstream: upstream, probe: probe, metrics: shared.metrics)
            if case .success(let verdict) = answer {
                shared.clientAccess.record(verdict, for: key, lifetimeNanoseconds: upstream.clientAccessLifetimeNanoseconds,
                                           now: MonotonicClock.now())
            }
            shared.clientAccess.flights.complete(flightKey, with: ClientAccessAnswer(pathAndQuery: path, result: answer))
        }
        UpstreamExchange(registry: upstream, pool: attempt.context.pool, request: request,
                         scope: UpstreamRegistry.pullScope(attempt.repository), client: attempt.credential, handler: handler).start()
    }

    /// The HEAD's answer as a verdict on the repository (2xx, 401, 403, also when the token
    /// service said 401/403), or the failure to give one.
    private static func verdict(_ result: Result<(UpstreamResponseHead, [UInt8]), UpstreamError>, upstream: UpstreamRegistry,
                                probe: Probe, metrics: Metrics) -> Result<ClientAccessConfirmations.Verdict, UpstreamFailure> {
        let failure: UpstreamFailure
        switch result {
        case .success(let (head, _)):
            if head.field(UpstreamExchange.refusalField) == nil { metrics.upstreamRequest(method: "HEAD", status: head.status) }
            if (200..<300).contains(head.status) { return .success(.allowed) }
            failure = UpstreamFailure.status(head, upstream: upstream.name, notFound: probe.notFound)
        case .failure(let error):
            failure = UpstreamFailure.transport(error, upstream: upstream.name)
        }
        switch failure.error.status {
        case 401: return .success(.unauthorized)
        case 403: return .success(.denied)
        default: return .failure(failure)
        }
    }

    private static func deliver(_ result: Result<ClientAccessConfirmations.Verdict, UpstreamFailure>, _ attempt: Attempt) {
        let connection = attempt.connection
        let who = attempt.credential == nil ? "an anonymous client" : "this client's credential"
        switch result {
        case .success(.allowed):
            // The connection may have closed (or moved on) while the HEAD was out.
            guard connection.requestID == attempt.id else { return }
            attempt.proceed()
        case .success(.unauthorized):
            let error = RegistryError.unauthorized("upstream \(attempt.upstream.name) does not let \(who) read \(attempt.repository.string)")
            var head = ResponseHead(status: 401, fields: [("Content-Type", "application/json; charset=utf-8")])
            head.add("Docker-Distribution-API-Version", "registry/2.0")
            head.add("WWW-Authenticate", attempt.challenge)
            connection.respond(attempt.id, head: head, body: .bytes(error.jsonBody()), headOnly: attempt.headOnly, outcome: nil)
        case .success(.denied):
            connection.respond(attempt.id, error: .denied("upstream \(attempt.upstream.name) denies \(who) \(attempt.repository.string)"),
                               headOnly: attempt.headOnly)
        case .failure(let failure):
            connection.respond(attempt.id, error: failure.error, retryAfter: failure.retryAfter, headOnly: attempt.headOnly)
        }
    }
}
