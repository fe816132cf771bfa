import ProxyHTTP
import ProxyRegistry
import ProxyUpstream

/// A HEAD for a blob or manifest by digest at the upstream, coalesced: all
/// concurrent askers for one (upstream, repository, kind, digest) share one
/// upstream HEAD. Used to answer HEAD for an uncached blob (no body is ever
/// downloaded for it) and to confirm that a repository holds content that
/// is cached through another repository.
///
/// Two upstream quirks are absorbed here, so callers see one answer:
/// - a manifest HEAD carries an `Accept` naming every manifest type (the
///   stored type first): distribution answers 404 to a HEAD for an OCI
///   manifest or index when Accept does not allow its type;
/// - for a blob, a HEAD answered 404, or 200 without Content-Length, is not
///   final: registry proxies and CDN-fronted registries answer HEAD so where
///   GET works. It is confirmed with a one-byte GET (`Range: bytes=0-0`),
///   whose 206 `Content-Range: bytes 0-0/<size>` (or 200 with its
///   Content-Length, or 416 `bytes */0` for the empty blob) gives the size.
///   Manifests are never confirmed with a GET: Docker Hub counts each
///   manifest GET as a pull.
enum UpstreamHead {
    enum Kind: String, Sendable {
        case blobs, manifests
    }

    typealias Answer = Result<UpstreamResponseHead, UpstreamError>

    /// Sends (or joins) the HEAD and calls `completion` on `context`'s loop.
    /// The answer's status is 200 with `contentLength` set when the upstream
    /// holds the content (for a blob, possibly learnt from the ranged GET).
    /// - Parameters:
    ///   - repository: the name as the upstream knows it.
    ///   - mediaType: for a manifest, its stored media type, sent first in Accept.
    static func request(context: LoopContext, upstream: UpstreamRegistry, repository: RepositoryName, kind: Kind,
                        digest: Digest, mediaType: String? = nil, client: ClientTrace,
                        completion: @escaping @Sendable (Answer) -> Void) {
        let shared = context.shared
        let key = "\(upstream.name)|\(repository.string)|\(kind.rawValue)|\(digest.string)"
        guard shared.headFlights.join(key, loop: context.loop, completion: completion) else { return }
        var fields = client.upstreamFields(for: upstream, nodeID: context.nodeID)
        if kind == .manifests {
            let types = (mediaType.map { [$0] } ?? []) + MediaType.allManifestTypes.filter { $0 != mediaType }
            fields.append(("Accept", types.joined(separator: ", ")))
        }
        let path = upstream.pathAndQuery("/v2/\(repository.string)/\(kind.rawValue)/\(digest.string)")
        let head = UpstreamRequest(method: .head, origin: upstream.origin, pathAndQuery: path, fields: fields)
        send(head, context: context, upstream: upstream, repository: repository, client: client.credential) { answer in
            if kind == .blobs, case .success(let response) = answer,
               response.status == 404 || (response.status == 200 && response.contentLength == nil) {
                var ranged = UpstreamRequest(method: .get, origin: upstream.origin, pathAndQuery: path, fields: fields)
                ranged.fields.append(("Range", "bytes=0-0"))
                send(ranged, context: context, upstream: upstream, repository: repository, client: client.credential) { confirmed in
                    shared.headFlights.complete(key, with: confirmed.map(sizeFromRangedGet))
                }
                return
            }
            shared.headFlights.complete(key, with: answer)
        }
    }

    /// Sends `request` and reports its response head as soon as it arrives;
    /// any body (a one-byte range, or a whole blob from an upstream that
    /// ignores Range) is not read: the exchange is dropped after the head.
    private static func send(_ request: UpstreamRequest, context: LoopContext, upstream: UpstreamRegistry,
                             repository: RepositoryName, client: ClientCredential?, completion: @escaping (Answer) -> Void) {
        let shared = context.shared
        // A body of more than the one requested byte (an upstream ignoring Range) is not read.
        let handler = HeadOnlyResponse(dropsBodyOver: request.method == .head ? nil : 1) { answer in
            if case .success(let head) = answer { shared.metrics.upstreamRequest(method: request.method.token, status: head.status) }
            completion(answer)
        }
        let exchange = UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                                        scope: UpstreamRegistry.pullScope(repository), client: client, handler: handler)
        handler.exchange = exchange
        exchange.start()
    }

    /// The answer to a `Range: bytes=0-0` GET as a HEAD would have given it:
    /// 200 with the blob's whole size, or the upstream's status otherwise.
    static func sizeFromRangedGet(_ head: UpstreamResponseHead) -> UpstreamResponseHead {
        var answer = head
        switch head.status {
        case 206:
            // `bytes 0-0/<size>` (RFC 9110 section 14.4); an unknown size (`/*`) stays unknown.
            guard let size = head.field("content-range").flatMap(completeLength) else {
                answer.status = 502
                return answer
            }
            answer.status = 200
            answer.contentLength = size
        case 416:
            // Only the empty blob has no byte 0: `bytes */0`.
            guard head.field("content-range").flatMap(completeLength) == 0 else { return answer }
            answer.status = 200
            answer.contentLength = 0
        default:
            break
        }
        return answer
    }

    /// The complete length of a `Content-Range` value (`bytes 0-0/1234` or `bytes */1234`).
    static func completeLength(_ contentRange: String) -> Int64? {
        guard contentRange.lowercased().hasPrefix("bytes "), let slash = contentRange.lastIndex(of: "/") else { return nil }
        let digits = contentRange[contentRange.index(after: slash)...].trimmingOWS()
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(digits)
    }
}

/// Reports an upstream response's head (or failure) once; a body longer
/// than `dropsBodyOver` bytes (or of unknown length) is not read: the
/// exchange is dropped after the head. Short bodies are read, so the
/// connection goes back to the pool. Confinement: loop-confined.
private final class HeadOnlyResponse: UpstreamResponseHandler {
    private let dropsBodyOver: Int64?
    private var completion: ((UpstreamHead.Answer) -> Void)?
    /// Set right after creation; cancelled when a long body follows the head.
    var exchange: UpstreamExchange?

    /// - Parameter dropsBodyOver: nil for a HEAD (no body follows).
    init(dropsBodyOver: Int64?, completion: @escaping (UpstreamHead.Answer) -> Void) {
        self.dropsBodyOver = dropsBodyOver
        self.completion = completion
    }

    func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        complete(.success(head))
        // Dropping the connection is cheaper than reading a body nobody wants (and safe here:
        // the connection checks its state after this callback).
        if let limit = dropsBodyOver, (head.contentLength ?? .max) > limit {
            exchange?.cancel()
            exchange = nil
        }
    }

    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {}

    func upstreamFinished() {
        exchange = nil
        complete(.failure(.malformedResponse("no response head")))
    }

    func upstreamFailed(_ error: UpstreamError) {
        exchange = nil
        complete(.failure(error))
    }

    private func complete(_ answer: UpstreamHead.Answer) {
        let completion = self.completion
        self.completion = nil
        completion?(answer)
    }
}
