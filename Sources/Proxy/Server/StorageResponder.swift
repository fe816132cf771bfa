import Foundation
import ProxyHTTP
import ProxyLoop
import ProxyPullThrough
import ProxyRegistry
import ProxyStorage
import ProxyStore
import ProxyTransport

/// Answers the requests of a storage route (issue 16 items 2, 3, 5) from Cistern's own
/// store: manifests and blobs as pushed (blobs with sendfile and `Range`, like cache hits),
/// the repository's own tag list and referrers, and deletes; pushes go to
/// ``ManifestPushResponder`` and ``UploadResponder``. Nothing is asked of any upstream.
enum StorageResponder {
    /// end-3 GET/HEAD, end-7 PUT, end-9 DELETE `/v2/<name>/manifests/<reference>`.
    static func manifest(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, name: RepositoryName, reference: Reference) {
        guard let storage = storage(context, connection, head) else { return }
        switch head.method {
        case .get, .head: break
        case .put: return ManifestPushResponder.put(head, connection: connection, context: context, storage: storage, name: name, reference: reference)
        case .delete: return ManifestPushResponder.delete(connection: connection, context: context, storage: storage, name: name, reference: reference)
        default: return connection.respond(connection.requestID, error: .unsupported(head.method.token), allow: "GET, HEAD, PUT, DELETE", headOnly: false)
        }
        let id = connection.requestID
        let headOnly = head.method == .head
        let digest: Digest?
        switch reference {
        case .digest(let value): digest = value
        case .tag(let tag): digest = storage.digest(name, tag: tag.string)
        }
        guard let digest, storage.hasManifest(name, digest), let manifest = storage.manifests.read(digest) else {
            return connection.respond(id, error: .manifestUnknown(reference), headOnly: headOnly)
        }
        var answer = ResponseHead(status: 200, fields: [
            ("Content-Type", manifest.mediaType),
            ("Docker-Distribution-API-Version", "registry/2.0"),
        ], contentDigest: digest.halves)
        if let ifNoneMatch = head.ifNoneMatch, ManifestResponder.matches(ifNoneMatch, digest: digest) {
            answer.status = 304
            return connection.respond(id, head: answer, body: .empty, headOnly: true, outcome: nil)
        }
        connection.respond(id, head: answer, body: .bytes(manifest.bytes), headOnly: headOnly, outcome: nil)
    }

    /// end-2 GET/HEAD, end-10 DELETE `/v2/<name>/blobs/<digest>`.
    static func blob(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, name: RepositoryName, digest: Digest) {
        guard let storage = storage(context, connection, head) else { return }
        let id = connection.requestID
        let headOnly = head.method == .head
        switch head.method {
        case .get, .head: break
        case .delete:
            let bound = LoopBound(connection, loop: context.loop)
            let accepted = context.shared.ioPool.submit(key: digest.hashValue, reportingTo: context.loop, { () -> Bool in storage.unlinkBlob(name, digest) },
                                                        completion: { deleted in
                guard deleted else { return bound.value.respond(id, error: .blobUnknown(digest), headOnly: false) }
                bound.value.respond(id, head: ResponseHead(status: 202, fields: [("Docker-Distribution-API-Version", "registry/2.0")]),
                                    body: .empty, headOnly: false, outcome: nil)
            })
            if !accepted { connection.respond(id, error: RegistryError(code: .unsupported, status: 503, message: "storage busy; retry"), headOnly: false) }
            return
        default:
            return connection.respond(id, error: .unsupported(head.method.token), allow: "GET, HEAD, DELETE", headOnly: false)
        }
        guard storage.hasBlob(name, digest), case .found(let file, let size) = storage.blobs.openCommittedBlob(digest) else {
            return connection.respond(id, error: .blobUnknown(digest), headOnly: headOnly)
        }
        var answer = ResponseHead(status: 200, fields: [
            ("Content-Type", "application/octet-stream"),
            ("Accept-Ranges", "bytes"),
            ("Docker-Distribution-API-Version", "registry/2.0"),
        ], contentDigest: digest.halves)
        var offset: Int64 = 0
        var end = size
        if head.method == .get, let value = head.range, let range = ByteRange.parse(value),
           head.ifRange == nil || head.ifRange == "\"\(digest.string)\"" {
            switch range.resolve(size: size) {
            case .satisfiable(let first, let last):
                answer.status = 206
                answer.add("Content-Range", "bytes \(first)-\(last)/\(size)")
                offset = first
                end = last + 1
            case .unsatisfiable:
                return connection.respond(id, error: .rangeNotSatisfiable(size: size), headOnly: headOnly)
            case .wholeRepresentation:
                break
            }
        }
        connection.respond(id, head: answer, body: .file(file, offset: offset, end: end), headOnly: headOnly, outcome: .hit)
    }

    /// end-8a/8b `GET /v2/<name>/tags/list[?n=&last=]`: the repository's tags in lexical
    /// order after `last`, at most `n`, with a `Link` to the next page when more remain.
    static func tags(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, name: RepositoryName, query: RequestQuery) {
        guard let storage = storage(context, connection, head) else { return }
        let id = connection.requestID
        let headOnly = head.method == .head
        guard head.method == .get || head.method == .head else {
            return connection.respond(id, error: .unsupported(head.method.token), allow: "GET, HEAD", headOnly: false)
        }
        guard let all = storage.tags(name) else { return connection.respond(id, error: .nameUnknown(name.string), headOnly: headOnly) }
        var tags = all
        if let last = query.last { tags = tags.filter { $0.utf8.lexicographicallyPrecedes(last.utf8) == false && $0 != last } }
        var answer = ResponseHead(status: 200, fields: [("Content-Type", "application/json"), ("Docker-Distribution-API-Version", "registry/2.0")])
        if let n = query.n, n < tags.count {
            tags = Array(tags.prefix(n))
            if let lastShown = tags.last {
                answer.add("Link", "</v2/\(name.string)/tags/list?n=\(n)&last=\(lastShown)>; rel=\"next\"")
            }
        }
        let body = try? JSONSerialization.data(withJSONObject: ["name": name.string, "tags": tags] as [String: Any], options: [.sortedKeys])
        connection.respond(id, head: answer, body: .bytes(Array(body ?? Data())), headOnly: headOnly, outcome: nil)
    }

    /// end-12a/12b `GET /v2/<name>/referrers/<digest>[?artifactType=]`: an image index of the
    /// repository's manifests whose `subject` is `subject` (distribution-spec "Listing
    /// Referrers"); filtered by `artifactType` with `OCI-Filters-Applied`.
    static func referrers(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, name: RepositoryName,
                          subject: Digest, query: RequestQuery) {
        guard let storage = storage(context, connection, head) else { return }
        let id = connection.requestID
        let headOnly = head.method == .head
        guard head.method == .get || head.method == .head else {
            return connection.respond(id, error: .unsupported(head.method.token), allow: "GET, HEAD", headOnly: false)
        }
        var descriptors: [[String: Any]] = []
        for digest in storage.referrers(name, subject: subject) {
            guard let manifest = storage.manifests.read(digest), let parsed = try? PushedManifest(parsing: manifest.bytes) else { continue }
            if let wanted = query.artifactType, parsed.artifactType != wanted { continue }
            var descriptor: [String: Any] = ["mediaType": manifest.mediaType, "digest": digest.string, "size": manifest.bytes.count]
            if let type = parsed.artifactType { descriptor["artifactType"] = type }
            if !parsed.annotations.isEmpty { descriptor["annotations"] = parsed.annotations }
            descriptors.append(descriptor)
        }
        let index: [String: Any] = ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descriptors]
        let body = (try? JSONSerialization.data(withJSONObject: index, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var answer = ResponseHead(status: 200, fields: [("Content-Type", "application/vnd.oci.image.index.v1+json"),
                                                        ("Docker-Distribution-API-Version", "registry/2.0")])
        if query.artifactType != nil { answer.add("OCI-Filters-Applied", "artifactType") }
        connection.respond(id, head: answer, body: .bytes(Array(body)), headOnly: headOnly, outcome: nil)
    }

    /// The storage, or an answer saying there is none (a route to storage always has one).
    private static func storage(_ context: LoopContext, _ connection: any ClientResponder, _ head: RequestHead) -> LocalStorage? {
        if let storage = context.shared.storage { return storage }
        connection.respond(connection.requestID, error: RegistryError(code: .unsupported, status: 500, message: "no storage configured"),
                           headOnly: head.method == .head)
        return nil
    }
}
