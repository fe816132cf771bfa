import ProxyHTTP
import ProxyLoop
import ProxyMetrics
import ProxyRegistry
import ProxyTransport
import ProxyUpstream

/// Answers `GET`/`HEAD /v2/<name>/blobs/<digest>` (OCI distribution spec,
/// "Pulling blobs", end-2): a hit from the store with `sendfile`; otherwise
/// by joining the digest's running fill or starting the only one, streaming
/// bytes to the client as they land. Single ranges (RFC 9110 section 14) are
/// served from hits and from fills; a HEAD never downloads a body.
///
/// Content cached through another repository (or upstream) is served only
/// once the upstream confirmed, with a HEAD, that this repository holds it.
package enum BlobResponder {
    /// One blob request, as the steps below need it.
    struct Request {
        let connection: any ClientResponder
        let context: LoopContext
        let id: UInt64
        let upstream: UpstreamRegistry
        /// The name as the upstream knows it.
        let repository: RepositoryName
        let digest: Digest
        let range: ByteRange?
        let headOnly: Bool
        /// The client's own credential, for an upstream that takes client credentials.
        let credential: ClientCredential?
        var shared: SharedServices { context.shared }

        /// What its upstream requests carry for it, the client's credential included. Built
        /// only when a request goes upstream: formatting the forwarding chain and the request
        /// id cost a HEAD hit about 4 K instructions, a tenth of the request.
        var client: ClientTrace {
            var client = connection.trace
            client.credential = credential
            return client
        }
    }

    /// - Parameter credential: the client's own credential, presented by the upstream
    ///   requests made for it (the fill it starts) when the upstream takes client credentials.
    package static func serve(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, upstream: UpstreamRegistry,
                      name: RepositoryName, digest: Digest, credential: ClientCredential? = nil) {
        let request = Request(connection: connection, context: context, id: connection.requestID, upstream: upstream,
                              repository: upstream.upstreamName(name), digest: digest,
                              range: honouredRange(head, digest: digest), headOnly: head.method == .head, credential: credential)
        let shared = request.shared
        let linked = shared.links.isLinked(upstream: upstream.name, repository: request.repository, digest: digest)
        let running = shared.fills.running(digest)
        let joinsOwnFill = running.map { $0.upstreamName == upstream.name && $0.repository == request.repository } ?? false
        let stored = shared.storage?.blobs.blobSize(digest) != nil
        if !linked && !joinsOwnFill && (running != nil || shared.blobs.blobSize(digest) != nil || stored) {
            confirmThenServe(request)
            return
        }
        serveLinked(request)
    }

    /// Serves a request whose repository may see the blob.
    private static func serveLinked(_ request: Request) {
        let shared = request.shared
        let digest = request.digest
        if serveHit(request) { return }
        if let fill = shared.fills.running(digest) {
            attach(request, fill: fill, outcome: .joined)
            return
        }
        if serveStored(request) { return }
        if request.headOnly {
            headFromUpstream(request)
            return
        }
        switch FillStart.joinOrStart(digest, upstream: request.upstream, repository: request.repository, context: request.context,
                                     client: request.client, uncachedAllowed: true) {
        case .unavailable(let error):
            shared.logger.error("cannot start a fill", metadata: ["digest": "\(digest)", "error": "\(error)"])
            request.connection.respond(request.id, error: RegistryError(code: .upstreamError, status: 500, message: "cache unavailable",
                                                                        detail: error.description), headOnly: request.headOnly)
        case .committed:
            // Committed by another loop just now; if it is already unusable again (moved
            // aside, or unreadable), the client gets an error rather than a second round.
            if !serveHit(request) {
                request.connection.respond(request.id, error: RegistryError(code: .upstreamError, status: 500, message: "cache unavailable",
                                                                            detail: "committed blob could not be opened"),
                                           headOnly: request.headOnly)
            }
        case .joined(let fill):
            attach(request, fill: fill, outcome: .joined)
        case .started(let fill):
            attach(request, fill: fill, outcome: .miss)
        }
    }

    /// The blob is cached (or filling) through another repository: ask the
    /// upstream whether this one holds it before serving.
    private static func confirmThenServe(_ request: Request) {
        withUpstreamHead(request, outcome: nil) { request, _ in
            serveLinked(request)
        }
    }

    /// HEAD for a blob that is neither cached nor filling: an upstream HEAD,
    /// so no body is downloaded.
    private static func headFromUpstream(_ request: Request) {
        withUpstreamHead(request, outcome: .pass) { request, head in
            guard let length = head.contentLength else {
                request.connection.respond(request.id, error: .upstreamError("upstream \(request.upstream.name) sent no Content-Length"),
                                           headOnly: true, outcome: .pass)
                return
            }
            request.connection.respond(request.id, head: blobHead(request.digest),
                                       body: .declaredLength(length), headOnly: true, outcome: .pass)
        }
    }

    /// Sends (or joins) the upstream HEAD for the request's repository and
    /// digest. A 200 links the repository to the digest and runs `found`;
    /// anything else answers the client with the mapped error.
    private static func withUpstreamHead(_ request: Request, outcome: CacheOutcome?,
                                         found: @escaping (Request, UpstreamResponseHead) -> Void) {
        let bound = LoopBound((request, found), loop: request.context.loop)
        UpstreamHead.request(context: request.context, upstream: request.upstream, repository: request.repository,
                             kind: .blobs, digest: request.digest, client: request.client) { answer in
            let (request, found) = bound.value
            switch answer {
            case .success(let head) where head.status == 200:
                request.shared.links.link(upstream: request.upstream.name, repository: request.repository, digest: request.digest)
                found(request, head)
            case .success(let head):
                let failure = UpstreamFailure.status(head, upstream: request.upstream.name, notFound: .blobUnknown(request.digest))
                request.connection.respond(request.id, error: failure.error, retryAfter: failure.retryAfter,
                                           headOnly: request.headOnly, outcome: outcome)
            case .failure(let error):
                let failure = UpstreamFailure.transport(error, upstream: request.upstream.name)
                request.connection.respond(request.id, error: failure.error, retryAfter: failure.retryAfter,
                                           headOnly: request.headOnly, outcome: outcome)
            }
        }
    }

    /// The request's `Range`, unless the server must ignore it: on any method but GET (RFC
    /// 9110 section 14.2), or when an `If-Range` does not match (section 13.1.5): its
    /// validator must be the blob's strong ETag, the quoted digest. A date never matches
    /// (blobs have no Last-Modified), nor does a weak or another tag.
    static func honouredRange(_ head: RequestHead, digest: Digest) -> ByteRange? {
        guard head.method == .get, let value = head.range, let range = ByteRange.parse(value) else { return nil }
        if let ifRange = head.ifRange, ifRange != "\"\(digest.string)\"" { return nil }
        return range
    }

    /// Serves a committed blob; false on a miss. A committed file that no longer has the
    /// size recorded at commit was moved aside by the store: logged, counted, and a miss, so
    /// it is filled again.
    private static func serveHit(_ request: Request) -> Bool {
        switch request.shared.blobs.openCommittedBlob(request.digest) {
        case .found(let file, let size):
            respond(request, size: size, outcome: .hit) { offset, end in .file(file, offset: offset, end: end) }
            return true
        case .missing:
            return false
        case .movedAside(let reason, let path):
            request.shared.contentMovedAside(request.digest, kind: "blob", reason: reason, path: path)
            return false
        }
    }

    /// Serves a blob the storage of pushed images holds (issue 16 item 9: one copy of a digest
    /// both pushed and pulled through): the upstream confirmed this repository has it (the
    /// caller came through the link check or ``confirmThenServe(_:)``), and the bytes are the
    /// digest's, so the cache stores no second copy. False when the storage has none.
    private static func serveStored(_ request: Request) -> Bool {
        guard let storage = request.shared.storage, case .found(let file, let size) = storage.blobs.openCommittedBlob(request.digest) else {
            return false
        }
        respond(request, size: size, outcome: .hit) { offset, end in .file(file, offset: offset, end: end) }
        return true
    }

    /// Answers from `fill` through a `Waiter` as soon as its size is known.
    private static func attach(_ request: Request, fill: Fill, outcome: CacheOutcome) {
        let waiter = Waiter(fill: fill, observers: request.context.fillObservers, metrics: request.context.shared.metrics)
        func answer(_ fill: Fill) -> Bool {
            switch fill.phase {
            case .awaitingHead:
                return false
            case .streaming(size: 0):
                // An empty body cannot hold back its last byte: `Content-Length: 0` makes the
                // head alone a complete response. Wait for the verdict (an upstream answering
                // 0 bytes for a non-empty digest fails; the empty blob commits at once).
                return false
            case .streaming(let size), .verified(let size):
                respond(request, size: size, outcome: outcome) { offset, end in
                    waiter.start(offset: offset, end: end)
                    return .streamed(waiter, length: end - offset)
                }
                return true
            case .failed(let failure):
                // A refusal (401/403/404) of the repository that started the fill says nothing
                // about this one, which the upstream confirmed or fetched through: it starts a
                // fill of its own (once the failed fill left the table, so this cannot loop).
                if [401, 403, 404].contains(failure.error.status),
                   fill.upstreamName != request.upstream.name || fill.repository != request.repository,
                   request.shared.fills.running(request.digest) !== fill {
                    serveLinked(request)
                    return true
                }
                request.connection.respond(request.id, error: failure.error, retryAfter: failure.retryAfter,
                                           headOnly: request.headOnly, outcome: outcome)
                return true
            }
        }
        if !answer(fill) {
            request.connection.hold(request.id, waiter)
            waiter.whenChanged { fill in _ = answer(fill) }
            // A change published between the check above and the registration in
            // `whenChanged` woke nobody on this loop (it was not yet interested): look again
            // now that it is. Answering twice is impossible: `respond` drops a second answer.
            _ = answer(fill)
        }
    }

    /// Builds the 200/206/416 answer for a blob of `size` bytes.
    private static func respond(_ request: Request, size: Int64, outcome: CacheOutcome, body: (Int64, Int64) -> ResponseBody) {
        var head = blobHead(request.digest)
        var offset: Int64 = 0
        var end = size
        if let range = request.range {
            switch range.resolve(size: size) {
            case .satisfiable(let first, let last):
                head.status = 206
                head.add("Content-Range", "bytes \(first)-\(last)/\(size)")
                offset = first
                end = last + 1
            case .unsatisfiable:
                request.connection.respond(request.id, error: .rangeNotSatisfiable(size: size), headOnly: request.headOnly, outcome: outcome)
                return
            case .wholeRepresentation:
                break
            }
        }
        request.connection.respond(request.id, head: head, body: body(offset, end), headOnly: request.headOnly, outcome: outcome)
    }

    /// The 200 head of a blob: constant fields (one shared array, so a hit
    /// allocates no field list) plus the digest, written as
    /// `Docker-Content-Digest` and `ETag` by `ResponseHead`.
    static func blobHead(_ digest: Digest) -> ResponseHead {
        ResponseHead(status: 200, fields: blobConstantFields, contentDigest: digest.halves)
    }

    private static let blobConstantFields: [(name: String, value: String)] = [
        ("Content-Type", "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "public, max-age=31536000, immutable"),
        ("Docker-Distribution-API-Version", "registry/2.0"),
    ]
}
