import ProxyHTTP
import ProxyMetrics
import ProxyRegistry
import ProxyTransport

extension ClientResponder {
    /// Sends an OCI error response (distribution spec, "Error codes": a JSON body of
    /// `errors`) for request `id`.
    /// - Parameter allow: for a 405, the target's methods, sent as `Allow` (RFC 9110 section
    ///   15.5.6 requires it; an empty value means none, section 10.2.1).
    /// - Parameter challenge: for a 401, the `WWW-Authenticate` value (RFC 9110 section 11.6.1).
    package func respond(_ id: UInt64, error: RegistryError, retryAfter: String? = nil, allow: String? = nil, challenge: String? = nil,
                         headOnly: Bool, outcome: CacheOutcome? = nil) {
        var head = ResponseHead(status: error.status, fields: [("Content-Type", "application/json; charset=utf-8")])
        head.add("Docker-Distribution-API-Version", "registry/2.0")
        if let retryAfter { head.add("Retry-After", retryAfter) }
        if let allow { head.add("Allow", allow) }
        if let challenge { head.add("WWW-Authenticate", challenge) }
        if error.status == 416, let detail = error.detail, detail.hasPrefix("size ") {
            head.add("Content-Range", "bytes */\(detail.dropFirst(5))")
        }
        respond(id, head: head, body: .bytes(error.jsonBody()), headOnly: headOnly, outcome: outcome)
    }
}
