/// Passes `tags/list` (end-8a, with `n`/`last` pagination and its `Link`
/// field) and the OCI 1.1 referrers API (end-12a, with `artifactType`) through
/// to the upstream uncached, with the upstream's authentication handled by
/// Cistern. Bodies are small JSON documents, buffered up to 4 MiB.
final class PassThroughResponder {
    static let maximumBodyByteCount = 4 * 1024 * 1024

    static func serve(_ head: RequestHead, connection: ClientConnection, upstream: UpstreamRegistry,
                      name: RepositoryName, endpoint: String, query: RequestQuery) {
        let id = connection.requestID
        let headOnly = head.method == .head
        let repository = upstream.upstreamName(name)
        var parameters: [String] = []
        if let n = query.n { parameters.append("n=\(n)") }
        if let last = query.last { parameters.append("last=\(TokenRequest.percentEncoded(last))") }
        if let artifactType = query.artifactType { parameters.append("artifactType=\(TokenRequest.percentEncoded(artifactType))") }
        let path = "\(upstream.basePath)/v2/\(repository.string)/\(endpoint)" + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        var fields = UpstreamRequest.forwardedFor(connection.forwardedFor)
        let accept = AcceptedMediaTypes(headerValues: head.acceptValues)
        if !accept.mediaTypes.isEmpty { fields.append(("Accept", accept.headerValue)) }
        let request = UpstreamRequest(method: .get, origin: upstream.origin, pathAndQuery: path, fields: fields)
        let shared = connection.context.shared
        let buffered = BufferedUpstreamResponse(limit: maximumBodyByteCount) { result in
            switch result {
            case .failure(let error):
                let failure = UpstreamFailure.transport(error, upstream: upstream.name)
                connection.respond(id, error: failure.error, headOnly: headOnly, outcome: .pass)
            case .success(let (upstreamHead, body)):
                shared.metrics.upstreamRequest(method: "GET", status: upstreamHead.status)
                if [401, 403, 429].contains(upstreamHead.status) || upstreamHead.status >= 500 {
                    let failure = UpstreamFailure.status(upstreamHead, upstream: upstream.name, notFound: .nameUnknown(name.string))
                    connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: headOnly, outcome: .pass)
                    return
                }
                var response = ResponseHead(status: upstreamHead.status)
                for fieldName in ["content-type", "link", "oci-filters-applied", "docker-distribution-api-version"] {
                    if let value = upstreamHead.field(fieldName) { response.add(canonical(fieldName), value) }
                }
                connection.respond(id, head: response, body: .bytes(body), headOnly: headOnly, outcome: .pass)
            }
        }
        UpstreamExchange(registry: upstream, pool: connection.context.pool, request: request,
                         scope: UpstreamRegistry.pullScope(repository), handler: buffered).start()
    }

    private static func canonical(_ name: String) -> String {
        switch name {
        case "content-type": "Content-Type"
        case "link": "Link"
        case "oci-filters-applied": "OCI-Filters-Applied"
        default: "Docker-Distribution-API-Version"
        }
    }
}
