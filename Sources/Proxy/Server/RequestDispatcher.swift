import ProxyHTTP
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport
import ProxyUpstream

/// Routes a client request to the registry endpoint that answers it (OCI
/// distribution spec, pull side: "Endpoints" table end-1, end-2, end-3,
/// end-8a, end-12a) or to the operational endpoints `/healthz` (liveness),
/// `/readyz` (readiness) and `/metrics`, which never require client authentication:
/// probes and scrapers hold no credentials. Push methods are refused with 405
/// UNSUPPORTED: Cistern is a pull-through mirror.
///
/// The `RequestHandler` of every client connection of one loop: a two-word value, so a
/// connection holds it in an existential's inline buffer, without an allocation.
struct RequestDispatcher: RequestHandler {
    let context: LoopContext
    let readiness: Readiness

    func handle(_ head: RequestHead, responder connection: any ClientResponder) {
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
            connection.respond(id, error: error, headOnly: headOnly)
            return
        }
        guard head.method == .get || head.method == .head else {
            // An upload URL allows no method on this pull-only mirror; every other route GET and HEAD.
            var allow = "GET, HEAD"
            if case .blobUpload = parsed.route { allow = "" }
            connection.respond(id, error: .unsupported(head.method.token), allow: allow, headOnly: false)
            return
        }
        switch parsed.route {
        case .base:
            var response = ResponseHead(status: 200, fields: [("Content-Type", "application/json; charset=utf-8")])
            response.add("Docker-Distribution-API-Version", "registry/2.0")
            connection.respond(id, head: response, body: .bytes(Array("{}".utf8)), headOnly: headOnly, outcome: nil)
        case .health:
            connection.respond(id, head: ResponseHead(status: 200, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                               body: .bytes(Array("ok\n".utf8)), headOnly: headOnly, outcome: nil)
        case .readiness:
            let ready = readiness.isReady
            connection.respond(id, head: ResponseHead(status: ready ? 200 : 503, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                               body: .bytes(Array((ready ? "ready\n" : "not ready\n").utf8)), headOnly: headOnly, outcome: nil)
        case .metrics:
            connection.respond(id, head: ResponseHead(status: 200, fields: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]),
                               body: .bytes(shared.metrics.renderPrometheusText()), headOnly: headOnly, outcome: nil)
        case .blobUpload:
            connection.respond(id, error: .unsupported(head.method.token), allow: "", headOnly: headOnly)
        case .manifest(let name, let reference):
            Self.withUpstream(parsed.query, connection, context, id, headOnly) { upstream in
                ManifestResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name, reference: reference)
            }
        case .blob(let name, let digest):
            Self.withUpstream(parsed.query, connection, context, id, headOnly) { upstream in
                BlobResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name, digest: digest)
            }
        case .tagsList(let name):
            Self.withUpstream(parsed.query, connection, context, id, headOnly) { upstream in
                PassThroughResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                           endpoint: "tags/list", query: parsed.query)
            }
        case .referrers(let name, let digest):
            Self.withUpstream(parsed.query, connection, context, id, headOnly) { upstream in
                PassThroughResponder.serve(head, connection: connection, context: context, upstream: upstream, name: name,
                                           endpoint: "referrers/\(digest.string)", query: parsed.query)
            }
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

    /// Resolves containerd's `?ns=` (or the default upstream) and runs `body`,
    /// or answers DENIED for a registry that is not in the allow-list.
    private static func withUpstream(_ query: RequestQuery, _ connection: any ClientResponder, _ context: LoopContext, _ id: UInt64,
                                     _ headOnly: Bool, _ body: (UpstreamRegistry) -> Void) {
        do {
            let upstream = try context.shared.upstream(ns: query.ns)
            connection.logUpstream = upstream.name
            body(upstream)
        } catch {
            connection.respond(id, error: error, headOnly: headOnly)
        }
    }
}
