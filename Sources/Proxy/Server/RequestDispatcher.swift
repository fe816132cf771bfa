import ProxyAuth
import ProxyHTTP
import ProxyMetrics
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport
import ProxyUpstream

/// Routes a client request to the registry endpoint that answers it (OCI
/// distribution spec, pull side: "Endpoints" table end-1, end-2, end-3,
/// end-8a, end-12a) or to the operational endpoints `/healthz` (liveness),
/// `/readyz` (readiness) and `/metrics`, which never require client authentication:
/// probes and scrapers hold no credentials. With `auth:` (issue 17), `/v2/` always
/// challenges, `/token` issues tokens, and every registry request is authorised
/// (`RequestDispatcher+Auth`) before its responder sees it. Each registry request goes where its route
/// (issue 16) leads: a remote registry, pulled through and read-only (writes get 405
/// UNSUPPORTED with `Allow`), or Cistern's own storage, which also takes pushes (end-4a…11,
/// end-13) when the route allows them. Without storage routes every write gets 405.
///
/// The `RequestHandler` of every client connection of one loop: two words and a flag, so a
/// connection holds it in an existential's inline buffer (three words), without an allocation.
struct RequestDispatcher: RequestHandler {
    let context: LoopContext
    let readiness: Readiness
    /// Whether this dispatcher answers the admin address (``AdminDispatcher``): `/metrics` is
    /// served there, and on the client address only when no admin address is configured.
    var onAdminPort = false

    func handle(_ head: RequestHead, responder connection: any ClientResponder) {
        handle(head, responder: connection, upstreamProbed: false)
    }

    /// - Parameter upstreamProbed: true on the second pass of a request that waited for its
    ///   upstream's node ids (``LoopDetection/heldOrRefusedBeforeUpstream``).
    private func handle(_ head: RequestHead, responder connection: any ClientResponder, upstreamProbed: Bool) {
        // First of all: a looping request must not reach the cache or join a flight.
        if let via = head.via, LoopDetection.refusedLoop(head, via: via, connection: connection, context: context) { return }
        let id = connection.requestID
        let headOnly = head.method == .head
        let context = self.context
        let shared = context.shared
        let parsed: (route: RegistryRoute, query: RequestQuery)
        do {
            parsed = try Self.parseRoute(head.target)
        } catch {
            connection.requestKind = EndpointKind(unroutedTarget: head.target)
            connection.respond(id, error: error, headOnly: headOnly)
            return
        }
        connection.requestKind = EndpointKind(parsed.route)
        let isRead = head.method == .get || head.method == .head
        guard isRead || shared.routes.hasStorageRoutes else {
            // Without storage routes every write is refused before routing, as on a pull-only
            // mirror. An upload URL allows no method at all; every other route GET and HEAD.
            var allow = "GET, HEAD"
            if case .blobUpload = parsed.route { allow = "" }
            connection.respond(id, error: .unsupported(head.method.token), allow: allow, headOnly: false)
            return
        }
        if let via = head.via, LoopDetection.heldOrRefusedBeforeUpstream(
            head, via: via, route: parsed.route, query: parsed.query, probed: upstreamProbed, connection: connection, context: context,
            retry: { [self] in handle(head, responder: connection, upstreamProbed: true) }) { return }
        switch parsed.route {
        case .base, .health, .readiness, .metrics, .token:
            guard isRead else {
                connection.respond(id, error: .unsupported(head.method.token), allow: "GET, HEAD", headOnly: false)
                return
            }
            if case .token = parsed.route { return Self.serveToken(head, connection, context) }
            if case .base = parsed.route, let authenticator = shared.authenticator {
                let dispatcher = self
                return Self.serveBase(head, authenticator: authenticator, connection, context) {
                    dispatcher.serveOperational(.base, id: id, headOnly: headOnly, connection: connection)
                }
            }
            serveOperational(parsed.route, id: id, headOnly: headOnly, connection: connection)
        // Each route's responder is a local function: called directly once the request is
        // admitted at once (no `auth:`, or an anonymous pull anonymous clients may do), and
        // formed into an escaping closure only when a credential must be checked first.
        case .blobUpload(let name, let session):
            func serve(_ rule: RouteTable.Rule, _: UpstreamRegistry?, _ authentication: RequestAuthentication) {
                UploadResponder.handle(head, connection: connection, context: context, name: name, session: session,
                                       query: parsed.query, rule: rule, authentication: authentication)
            }
            Self.withRoute(name, tag: nil, head, parsed.query, connection, context, allowOnRemote: "", upload: true, serve, later: { serve })
        case .manifest(let name, let reference):
            var tag: String?
            if case .tag(let value) = reference { tag = value.string }
            func serve(_: RouteTable.Rule, _ upstream: UpstreamRegistry?, _ authentication: RequestAuthentication) {
                guard let upstream else {
                    return StorageResponder.manifest(head, connection: connection, context: context, name: name, reference: reference)
                }
                func serveManifest(_ credential: ClientCredential?) {
                    ManifestResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                            reference: reference, credential: credential)
                }
                Self.withClientAccess(.manifest(reference), authentication: authentication, name: name, upstream: upstream,
                                      head, connection, context, serveManifest, later: { serveManifest })
            }
            Self.withRoute(name, tag: tag, head, parsed.query, connection, context, serve, later: { serve })
        case .blob(let name, let digest):
            func serve(_: RouteTable.Rule, _ upstream: UpstreamRegistry?, _ authentication: RequestAuthentication) {
                guard let upstream else {
                    return StorageResponder.blob(head, connection: connection, context: context, name: name, digest: digest)
                }
                func serveBlob(_ credential: ClientCredential?) {
                    BlobResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                        digest: digest, credential: credential)
                }
                Self.withClientAccess(.blob(digest), authentication: authentication, name: name, upstream: upstream,
                                      head, connection, context, serveBlob, later: { serveBlob })
            }
            Self.withRoute(name, tag: nil, head, parsed.query, connection, context, serve, later: { serve })
        case .tagsList(let name):
            func serve(_: RouteTable.Rule, _ upstream: UpstreamRegistry?, _ authentication: RequestAuthentication) {
                guard let upstream else {
                    return StorageResponder.tags(head, connection: connection, context: context, name: name, query: parsed.query)
                }
                PassThroughResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                           endpoint: "tags/list", query: parsed.query,
                                           credential: Self.presentedCredential(Self.clientCredential(head, authentication, context), to: upstream))
            }
            Self.withRoute(name, tag: nil, head, parsed.query, connection, context, serve, later: { serve })
        case .referrers(let name, let digest):
            func serve(_: RouteTable.Rule, _ upstream: UpstreamRegistry?, _ authentication: RequestAuthentication) {
                guard let upstream else {
                    return StorageResponder.referrers(head, connection: connection, context: context, name: name, subject: digest, query: parsed.query)
                }
                PassThroughResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                           endpoint: "referrers/\(digest.string)", query: parsed.query,
                                           credential: Self.presentedCredential(Self.clientCredential(head, authentication, context), to: upstream))
            }
            Self.withRoute(name, tag: nil, head, parsed.query, connection, context, serve, later: { serve })
        }
    }

    /// `/v2/`, `/healthz`, `/readyz` and `/metrics`.
    private func serveOperational(_ route: RegistryRoute, id: UInt64, headOnly: Bool, connection: any ClientResponder) {
        switch route {
        case .health:
            connection.respond(id, head: ResponseHead(status: 200, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                               body: .bytes(Array("ok\n".utf8)), headOnly: headOnly, outcome: nil)
        case .readiness:
            let ready = readiness.isReady
            connection.respond(id, head: ResponseHead(status: ready ? 200 : 503, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                               body: .bytes(Array((ready ? "ready\n" : "not ready\n").utf8)), headOnly: headOnly, outcome: nil)
        case .metrics:
            guard onAdminPort || context.shared.configuration.adminListen == nil else {
                connection.respond(id, error: .notFound("/metrics is served on the admin address"), headOnly: headOnly)
                return
            }
            connection.respond(id, head: ResponseHead(status: 200, fields: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                               body: .bytes(context.shared.metrics.renderPrometheusText()), headOnly: headOnly, outcome: nil)
        default:
            var response = ResponseHead(status: 200, fields: [("Content-Type", "application/json; charset=utf-8")])
            response.add("Docker-Distribution-API-Version", "registry/2.0")
            connection.respond(id, head: response, body: .bytes(Array("{}".utf8)), headOnly: headOnly, outcome: nil)
        }
    }

    /// `RegistryRoute.parse` over the target's contiguous UTF-8 bytes: the
    /// byte-wise parser specialised for a buffer pointer is several times
    /// faster than over `String.UTF8View` (whose every index step is checked),
    /// and route parsing was a tenth of a blob hit's CPU time.
    private static func parseRoute(_ target: String) throws(RegistryError) -> (route: RegistryRoute, query: RequestQuery) {
        var target = target
        return try target.withUTF8 { bytes in
            let path = originForm(bytes)
            return Result { () throws(RegistryError) in try RegistryRoute.parse(target: path) }
        }.get()
    }

    /// The origin-form part of a request target: the target itself, or for the absolute form
    /// (`http://host:port/v2/...`, which a server MUST accept, RFC 9112 section 3.2.2) what
    /// follows the authority (`/` when nothing does). The authority is not checked against
    /// this server: every name Cistern answers for is its own. Without a path the result is
    /// empty, which no route matches.
    static func originForm(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let first = bytes.first, first != UInt8(ascii: "/") else { return bytes }
        var schemeEnd = 0
        for prefix in ["http://", "https://"] where schemeEnd == 0 {
            let utf8 = prefix.utf8
            if bytes.count >= utf8.count, zip(bytes, utf8).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) { schemeEnd = utf8.count }
        }
        // An absolute-URI has no fragment (RFC 3986 section 4.3): with a `#` the target is left
        // as it is, which no route accepts.
        guard schemeEnd > 0, !bytes.contains(UInt8(ascii: "#")) else { return bytes }
        let pathStart = bytes[schemeEnd...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
        guard let pathStart, bytes[pathStart] == UInt8(ascii: "/") else { return UnsafeBufferPointer(rebasing: bytes[bytes.endIndex...]) }
        return UnsafeBufferPointer(rebasing: bytes[pathStart...])
    }

    /// Finds the route for `name` (issue 16 item 1) and runs `body` with it, for a remote
    /// route its upstream, and the request's authentication (issue 17: who the client is and,
    /// for a `credentials: client` remote, its own credential); or answers: DENIED (403) for
    /// an unknown `ns`, a name no route serves, or an action the route's principals do not
    /// allow the client; 401 with a challenge when a credential would help; 405 UNSUPPORTED
    /// with `Allow` for a write to a remote route (nothing reaches the upstream). `body` runs
    /// on the loop: at once when the request is admitted without a credential check
    /// (``admission(_:rule:name:action:_:_:)``), else `later()`'s closure after the check.
    /// - Parameters:
    ///   - allowOnRemote: the `Allow` value for a write to a remote route; empty for an
    ///     upload URL, which allows no method at all there.
    ///   - upload: an upload URL, where every method (a GET of the session's status too) is
    ///     part of a push.
    private static func withRoute(_ name: RepositoryName, tag: String?, _ head: RequestHead, _ query: RequestQuery,
                                  _ connection: any ClientResponder, _ context: LoopContext, allowOnRemote: String = "GET, HEAD", upload: Bool = false,
                                  _ body: RouteBody, later: () -> RouteBody) {
        let shared = context.shared
        let id = connection.requestID
        let isRead = head.method == .get || head.method == .head
        let headOnly = head.method == .head
        let index: Int
        do {
            index = try shared.routes.routeIndex(for: name, tag: tag, ns: query.ns)
        } catch {
            connection.respond(id, error: error, headOnly: headOnly)
            return
        }
        let rule = shared.routes.rules[index]
        switch rule.kind {
        case .remote:
            guard isRead, allowOnRemote != "" else {
                connection.respond(id, error: .unsupported(head.method.token), allow: allowOnRemote, headOnly: false)
                return
            }
            guard let upstream = shared.routeUpstreams[index] else {
                connection.respond(id, error: .denied("pull of \(name.string) is not allowed"), headOnly: headOnly)
                return
            }
            connection.logUpstream = upstream.name
            admit(head, rule: rule, upstream: upstream, name: name, action: .pull, connection, context, body, later: later)
        case .storage:
            connection.logUpstream = rule.registry
            let action: RegistryAction = upload ? .push : isRead ? .pull : head.method == .delete ? .delete : .push
            admit(head, rule: rule, upstream: nil, name: name, action: action, connection, context, body, later: later)
        }
    }

    /// A registry route's responder: the route's rule, its upstream (nil for a storage route)
    /// and who the client is.
    private typealias RouteBody = (RouteTable.Rule, UpstreamRegistry?, RequestAuthentication) -> Void

    /// Runs `body` now when the request is admitted at once; after ``authorize`` (with
    /// `later()`, formed only then) when a credential must be checked; or not at all when
    /// the request was answered.
    private static func admit(_ head: RequestHead, rule: RouteTable.Rule, upstream: UpstreamRegistry?, name: RepositoryName,
                              action: RegistryAction, _ connection: any ClientResponder, _ context: LoopContext,
                              _ body: RouteBody, later: () -> RouteBody) {
        switch admission(head, rule: rule, name: name, action: action, connection, context) {
        case .admitted(let authentication):
            body(rule, upstream, authentication)
        case .answered:
            return
        case .pending(let authenticator):
            let body = later()
            authorize(head, rule: rule, name: name, action: action, authenticator: authenticator, connection, context) {
                body(rule, upstream, $0)
            }
        }
    }
}
