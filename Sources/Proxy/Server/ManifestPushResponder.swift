import ProxyHTTP
import ProxyLoop
import ProxyPullThrough
import ProxyRegistry
import ProxyStorage
import ProxyStore
import ProxySystem
import ProxyTransport

/// Answers `PUT` and `DELETE /v2/<name>/manifests/<reference>` on a storage route
/// (distribution-spec "Pushing Manifests" end-7, "Deleting Manifests" end-9, "Deleting
/// tags"):
/// - `PUT` takes the manifest (at most 4 MiB), checks that a digest reference names these
///   bytes (else 400 DIGEST_INVALID) and that every blob and child manifest it names is held
///   by this repository (else 400 MANIFEST_BLOB_UNKNOWN), stores it, links it, points the tag
///   at it, records its `subject` for the referrers API, and answers 201 with `Location`,
///   `Docker-Content-Digest` and, with a subject, `OCI-Subject`;
/// - `DELETE` of a digest forgets the manifest in this repository with its tags, of a tag the
///   tag alone: 202, or 404 MANIFEST_UNKNOWN.
enum ManifestPushResponder {
    static func put(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, storage: LocalStorage,
                    name: RepositoryName, reference: Reference) {
        let requestID = connection.requestID
        let collector = ManifestBodyCollector(maximumByteCount: ManifestStore.maximumByteCount) { [weak connection] outcome in
            guard let connection else { return }
            switch outcome {
            case .complete(let bytes):
                accept(bytes, contentType: head.contentType, connection: connection, requestID: requestID, context: context,
                       storage: storage, name: name, reference: reference)
            case .tooLarge:
                connection.respond(requestID, error: RegistryError(code: .sizeInvalid, status: 413, message: "manifest too large",
                                                                   detail: "at most \(ManifestStore.maximumByteCount) bytes"), headOnly: false)
            case .malformed:
                connection.respond(requestID, error: .manifestInvalid("malformed request body"), headOnly: false)
            case .gone:
                break
            }
        }
        connection.readBody(requestID, into: collector)
    }

    private static func accept(_ bytes: [UInt8], contentType: String?, connection: any ClientResponder, requestID: UInt64,
                               context: LoopContext, storage: LocalStorage, name: RepositoryName, reference: Reference) {
        let digest: Digest
        do {
            digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        } catch {
            return connection.respond(requestID, error: error, headOnly: false)
        }
        if case .digest(let named) = reference, named != digest {
            return connection.respond(requestID, error: .digestInvalid("the manifest's digest is \(digest.string), not \(named.string)"),
                                      headOnly: false)
        }
        let manifest: PushedManifest
        do {
            manifest = try PushedManifest(parsing: bytes)
        } catch {
            return connection.respond(requestID, error: error, headOnly: false)
        }
        guard let mediaType = contentType.map(Self.bareMediaType) ?? manifest.mediaType, !mediaType.isEmpty else {
            return connection.respond(requestID, error: .manifestInvalid("no media type (Content-Type or mediaType)"), headOnly: false)
        }
        if let missing = manifest.blobs.first(where: { !storage.hasBlob(name, $0) }) ?? manifest.children.first(where: { !storage.hasManifest(name, $0) }) {
            return connection.respond(requestID, error: RegistryError(code: .manifestBlobUnknown, status: 400,
                                                                      message: "manifest references a manifest or blob unknown to registry",
                                                                      detail: missing.string), headOnly: false)
        }
        let tag: String?
        if case .tag(let value) = reference { tag = value.string } else { tag = nil }
        let stored = StoredManifest(mediaType: mediaType, bytes: bytes, digest: digest)
        let subject = manifest.subject
        let bound = LoopBound(connection, loop: context.loop)
        let accepted = context.shared.ioPool.submit(key: digest.hashValue, reportingTo: context.loop, { () -> SystemError? in
            do throws(SystemError) {
                try storage.manifests.store(stored)
                try storage.linkManifest(name, digest)
                if let subject { try storage.addReferrer(name, subject: subject, digest) }
                if let tag { try storage.setTag(name, tag, to: digest) }
                return nil
            } catch {
                return error
            }
        }, completion: { failure in
            if let failure { return bound.value.respond(requestID, error: UploadResponder.storageError(failure), headOnly: false) }
            var answer = ResponseHead(status: 201, fields: [
                ("Location", "/v2/\(name.string)/manifests/\(digest.string)"),
                ("Docker-Distribution-API-Version", "registry/2.0"),
            ], contentDigest: digest.halves)
            if let subject { answer.add("OCI-Subject", subject.string) }
            bound.value.respond(requestID, head: answer, body: .empty, headOnly: false, outcome: nil)
        })
        if !accepted {
            connection.respond(requestID, error: RegistryError(code: .manifestInvalid, status: 503, message: "storage busy; retry"), headOnly: false)
        }
    }

    static func delete(connection: any ClientResponder, context: LoopContext, storage: LocalStorage, name: RepositoryName, reference: Reference) {
        let requestID = connection.requestID
        let bound = LoopBound(connection, loop: context.loop)
        let accepted = context.shared.ioPool.submit(key: name.hashValue, reportingTo: context.loop, { () -> Bool in
            switch reference {
            case .digest(let digest): storage.unlinkManifest(name, digest)
            case .tag(let tag): storage.removeTag(name, tag.string)
            }
        }, completion: { deleted in
            guard deleted else { return bound.value.respond(requestID, error: .manifestUnknown(reference), headOnly: false) }
            bound.value.respond(requestID, head: ResponseHead(status: 202, fields: [("Docker-Distribution-API-Version", "registry/2.0")]),
                                body: .empty, headOnly: false, outcome: nil)
        })
        if !accepted { connection.respond(requestID, error: RegistryError(code: .unsupported, status: 503, message: "storage busy; retry"), headOnly: false) }
    }

    /// A media type without parameters (`; charset=…`) or surrounding space.
    static func bareMediaType(_ value: String) -> String {
        var text = value.prefix { $0 != ";" }.drop { $0 == " " || $0 == "\t" }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
