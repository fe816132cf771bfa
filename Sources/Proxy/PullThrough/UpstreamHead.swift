/// A HEAD for a blob or manifest by digest at the upstream, coalesced: all
/// concurrent askers for one (upstream, repository, kind, digest) share one
/// upstream HEAD. Used to answer HEAD for an uncached blob (no body is ever
/// downloaded for it) and to confirm that a repository holds content that
/// is cached through another repository.
enum UpstreamHead {
    enum Kind: String, Sendable {
        case blobs, manifests
    }

    typealias Answer = Result<UpstreamResponseHead, UpstreamError>

    /// Sends (or joins) the HEAD and calls `completion` on `context`'s loop.
    /// - Parameter repository: the name as the upstream knows it.
    static func request(context: LoopContext, upstream: UpstreamRegistry, repository: RepositoryName, kind: Kind,
                        digest: Digest, clientAddress: String, completion: @escaping @Sendable (Answer) -> Void) {
        let shared = context.shared
        let key = "\(upstream.name)|\(repository.string)|\(kind.rawValue)|\(digest.string)"
        guard shared.headFlights.join(key, loop: context.loop, completion: completion) else { return }
        let request = UpstreamRequest(method: .head, origin: upstream.origin,
                                      pathAndQuery: "\(upstream.basePath)/v2/\(repository.string)/\(kind.rawValue)/\(digest.string)",
                                      fields: UpstreamRequest.forwardedFor(clientAddress))
        let handler = BufferedUpstreamResponse(limit: 0) { result in
            switch result {
            case .success(let (head, _)):
                shared.metrics.upstreamRequest(method: "HEAD", status: head.status)
                shared.headFlights.complete(key, with: .success(head))
            case .failure(let error):
                shared.headFlights.complete(key, with: .failure(error))
            }
        }
        UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                         scope: UpstreamRegistry.pullScope(repository), handler: handler).start()
    }
}
