import ProxyHTTP
import ProxyMetrics
import ProxyRegistry
import ProxyTransport

/// The `RequestHandler` of the admin address (`--admin-listen`): serves the operational
/// paths (`/metrics`, `/healthz`, `/readyz`, i.e. the routes whose ``EndpointKind`` is
/// `metrics` or `health`) exactly as the client address's dispatcher does, and answers
/// everything else 404 `NOT_FOUND`: no registry route is reachable here. None of these paths
/// asks for client authentication (probes and scrapers hold no credentials).
///
/// A one-word wrapper of the dispatcher that answers the operational paths; a connection
/// holds it without an allocation. Confinement: the admin connections' loop.
struct AdminDispatcher: RequestHandler {
    /// Answers the operational paths; created with `onAdminPort`, so `/metrics` is served.
    let operational: RequestDispatcher

    func handle(_ head: RequestHead, responder connection: any ClientResponder) {
        let kind: EndpointKind
        do {
            kind = EndpointKind(try RegistryRoute.parse(target: head.target).route)
        } catch {
            kind = .other
        }
        guard kind == .metrics || kind == .health else {
            connection.respond(connection.requestID, error: .notFound("the admin address serves /metrics, /healthz and /readyz only"),
                               headOnly: head.method == .head)
            return
        }
        operational.handle(head, responder: connection)
    }
}
