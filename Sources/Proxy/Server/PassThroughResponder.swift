import ProxyHTTP
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport
import ProxyUpstream

/// Passes `tags/list` (end-8a, with `n`/`last` pagination and its `Link`
/// field) and the OCI 1.1 referrers API (end-12a, with `artifactType`) through
/// to the upstream uncached, with the upstream's authentication handled by
/// Cistern. Bodies are small JSON documents, buffered up to 4 MiB.
///
/// The client's query goes upstream as it came, less `ns` (opaque pagination
/// cursors included); the upstream's `Link` comes back rewritten to Cistern's
/// path (`PaginationLink`), so every page is asked of Cistern.
final class PassThroughResponder {
    static let maximumBodyByteCount = 4 * 1024 * 1024

    /// - Parameter credential: the client's own credential, presented when the upstream takes
    ///   client credentials (issue 17): the upstream then answers for that client itself.
    static func serve(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, upstream: UpstreamRegistry,
                      name: RepositoryName, endpoint: String, query: RequestQuery, credential: ClientCredential? = nil) {
        let id = connection.requestID
        let headOnly = head.method == .head
        let repository = upstream.upstreamName(name)
        // Validated by RequestQuery (visible ASCII, no `#`, well-formed percent-encoding), so
        // it cannot split the request line.
        let forwardedQuery = query.upstreamForm
        let path = upstream.pathAndQuery("/v2/\(repository.string)/\(endpoint)", query: forwardedQuery)
        let localPath = "/v2/\(name.string)/\(endpoint)"
        let namespaceParameter = query.ns.map { "ns=" + TokenRequest.percentEncoded($0) }
        var fields = connection.trace.upstreamFields(for: upstream, nodeID: context.nodeID)
        let accept = AcceptedMediaTypes(headerValues: head.acceptValues)
        if !accept.mediaTypes.isEmpty { fields.append(("Accept", accept.headerValue)) }
        let request = UpstreamRequest(method: .get, origin: upstream.origin, pathAndQuery: path, fields: fields)
        let shared = context.shared
        let buffered = BufferedUpstreamResponse(limit: maximumBodyByteCount) { result in
            switch result {
            case .failure(let error):
                let failure = UpstreamFailure.transport(error, upstream: upstream.name)
                connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: headOnly, outcome: .pass)
            case .success(let (upstreamHead, body)):
                shared.metrics.upstreamRequest(method: "GET", status: upstreamHead.status)
                if [401, 403, 429].contains(upstreamHead.status) || upstreamHead.status >= 500 {
                    let failure = UpstreamFailure.status(upstreamHead, upstream: upstream.name, notFound: .nameUnknown(name.string))
                    connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: headOnly, outcome: .pass)
                    return
                }
                var response = ResponseHead(status: upstreamHead.status)
                for fieldName in ["content-type", "oci-filters-applied", "docker-distribution-api-version"] {
                    if let value = upstreamHead.field(fieldName) { response.add(canonical(fieldName), value) }
                }
                let links = upstreamHead.fieldValues("link").compactMap {
                    PaginationLink.rewritten($0, path: localPath, namespaceParameter: namespaceParameter)
                }
                if !links.isEmpty { response.add("Link", links.joined(separator: ", ")) }
                connection.respond(id, head: response, body: .bytes(body), headOnly: headOnly, outcome: .pass)
            }
        }
        UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                         scope: UpstreamRegistry.pullScope(repository), client: credential, handler: buffered).start()
    }

    private static func canonical(_ name: String) -> String {
        switch name {
        case "content-type": "Content-Type"
        case "oci-filters-applied": "OCI-Filters-Applied"
        default: "Docker-Distribution-API-Version"
        }
    }
}
