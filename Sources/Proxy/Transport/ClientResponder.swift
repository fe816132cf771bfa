import ProxyHTTP
import ProxyMetrics

/// What a `RequestHandler` answers one client request through: the connection's narrow
/// side that registry policy sees. Answers name the request (`requestID` when it was
/// handed over); an answer for an older request or a closed connection is dropped.
///
/// Confinement: the connection's loop.
package protocol ClientResponder: AnyObject {
    /// The request being answered now.
    var requestID: UInt64 { get }
    /// The `X-Forwarded-For` and `Via` to carry upstream for this request: the client's own
    /// `X-Forwarded-For` list (kept only from a trusted proxy) with its address appended, and
    /// the request's `Via` chain.
    var forwarding: ForwardingChain { get }
    /// The address failed authentication attempts are counted for: the peer's, or behind a
    /// trusted proxy (`trusted_proxies`) the nearest `X-Forwarded-For` entry that is not one.
    var clientAddressForLimits: String { get }
    /// Whether this request's client reached Cistern over TLS: the listen address speaks
    /// TLS, or a trusted proxy said `X-Forwarded-Proto: https`.
    func clientUsedTLS(forwardedProto: String?) -> Bool
    /// The request's id as text (`X-Request-ID`), for upstream requests made for it.
    var requestIDText: String { get }
    /// The upstream the request went to, for the access log.
    var logUpstream: String? { get set }
    /// Which endpoint the request addressed, for `cistern_requests_total{kind}`; `.other`
    /// until the handler sets it.
    var requestKind: EndpointKind { get set }
    /// Sends the response to request `id`.
    /// - Parameters:
    ///   - headOnly: a HEAD request: the GET's head, no body.
    ///   - outcome: the cache outcome for the access log and metrics.
    func respond(_ id: UInt64, head: ResponseHead, body: ResponseBody, headOnly: Bool, outcome: CacheOutcome?)
    /// Keeps `pending` until request `id` is answered or the connection closes, then cancels it.
    func hold(_ id: UInt64, _ pending: PendingAnswer)
    /// Starts delivering request `id`'s body to `sink` (see ``RequestBodySink``); a request
    /// without a body ends at once (`.complete`). Called at most once per request, before it
    /// is answered; a body never read is never taken for the next request (the connection
    /// closes after the answer).
    func readBody(_ id: UInt64, into sink: any RequestBodySink)
}

/// The registry policy behind a client connection: routes a parsed request head and
/// answers it through the responder, now or later. Uploads, authentication and loop
/// detection belong here, not in the connection.
package protocol RequestHandler {
    func handle(_ head: RequestHead, responder: ClientResponder)
}
