/// Answers a HEAD for a blob that is neither cached nor being filled with an
/// upstream HEAD: the client learns whether the blob exists and its size, and
/// no body is downloaded.
final class UpstreamBlobHead: UpstreamResponseHandler {
    private let connection: ClientConnection
    private let id: UInt64
    private let upstream: UpstreamRegistry
    private let digest: Digest

    private init(connection: ClientConnection, id: UInt64, upstream: UpstreamRegistry, digest: Digest) {
        self.connection = connection
        self.id = id
        self.upstream = upstream
        self.digest = digest
    }

    static func answer(_ connection: ClientConnection, id: UInt64, upstream: UpstreamRegistry, name: RepositoryName, digest: Digest) {
        let handler = UpstreamBlobHead(connection: connection, id: id, upstream: upstream, digest: digest)
        let repository = upstream.upstreamName(name)
        let request = UpstreamRequest(method: .head, origin: upstream.origin,
                                      pathAndQuery: "\(upstream.basePath)/v2/\(repository.string)/blobs/\(digest.string)",
                                      fields: [("X-Forwarded-For", connection.clientAddress)])
        UpstreamExchange(registry: upstream, pool: connection.context.pool, request: request,
                         scope: UpstreamRegistry.pullScope(repository), handler: handler).start()
    }

    func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        connection.context.shared.metrics.upstreamRequest(method: "HEAD", status: head.status)
        if head.status == 200, let length = head.contentLength ?? head.field("content-length").flatMap({ Int64($0) }) {
            connection.respond(id, head: ResponseHead(status: 200, fields: BlobResponder.blobFields(digest)),
                               body: .declaredLength(length), headOnly: true, outcome: .pass)
        } else {
            let failure = UpstreamFailure.status(head, upstream: upstream.name, notFound: .blobUnknown(digest))
            connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: true, outcome: .pass)
        }
    }

    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {}
    func upstreamFinished() {}

    func upstreamFailed(_ error: UpstreamError) {
        let failure = UpstreamFailure.transport(error, upstream: upstream.name)
        connection.respond(id, error: failure.error, headOnly: true, outcome: .pass)
    }
}
