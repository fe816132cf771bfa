import Foundation
import ProxyRegistry

/// A manifest fetched through the mirror and checked against the digest naming it.
struct FetchedManifest {
    /// The manifest's digest (what a tag resolved to, or the digest asked for).
    let digest: Digest
    /// What it names.
    let manifest: WarmManifest
}

extension MirrorClient {
    /// The `Accept` lines pulls send for a manifest, one per client family, each one
    /// comma-joined line. A mirror keeps a tag's record per set of accepted manifest types
    /// (the answer may differ), so a tag is asked for with each, and each family's next pull
    /// of it is a hit. The first is also used for manifests by digest.
    /// - containerd (Kubernetes nodes, nerdctl, Docker with the containerd store): Docker
    ///   schema 2 and manifest list, OCI manifest and index, `*/*`.
    /// - containers/image (skopeo, podman, CRI-O, buildah): OCI manifest, Docker schema 2,
    ///   schema 1 signed and unsigned, Docker manifest list, OCI index.
    static let manifestAcceptProfiles = [
        [MediaType.dockerManifestV2, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex, "*/*"],
        [MediaType.ociManifest, MediaType.dockerManifestV2, MediaType.dockerManifestV1Signed, MediaType.dockerManifestV1,
         MediaType.dockerManifestList, MediaType.ociIndex],
    ].map { $0.joined(separator: ", ") }

    /// Largest manifest read (distribution refuses larger ones too).
    static let manifestByteLimit = 4 * 1_048_576

    /// `GET /v2/<name>/manifests/<reference>` with a full `Accept` list. A manifest asked
    /// for by digest must be named by that digest (``ManifestIdentity/isNamed(_:mediaType:by:)``);
    /// one asked for by tag must be named by its `Docker-Content-Digest` when sent.
    /// - Throws: ``MirrorTransportError`` naming the request and the status and OCI error,
    ///   a digest mismatch, an oversized or unreadable manifest, or a transport failure.
    /// - Parameter accept: the `Accept` line (one of ``manifestAcceptProfiles``).
    func fetchManifest(_ image: ImageReference, _ reference: Reference,
                       accept: String = manifestAcceptProfiles[0]) throws -> FetchedManifest {
        let path = image.manifestPath(reference)
        var bytes: [UInt8] = []
        let response = try get(path, accept: accept) { piece in
            guard bytes.count + piece.count <= Self.manifestByteLimit else {
                throw MirrorTransportError("GET \(path): manifest larger than \(Self.manifestByteLimit) bytes")
            }
            bytes.append(contentsOf: piece)
        }
        guard response.isSuccess else { throw Self.failure("GET \(path)", response) }
        let contentType = response.header("Content-Type")
        let mediaType = contentType.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) }
            ?? ManifestIdentity.declaredMediaType(of: bytes) ?? ""
        let digest: Digest
        switch reference {
        case .digest(let expected):
            guard ManifestIdentity.isNamed(bytes, mediaType: mediaType, by: expected) else {
                throw MirrorTransportError("GET \(path): manifest content does not match its digest (\(ContentHasher.digestString(of: bytes)))")
            }
            digest = expected
        case .tag:
            let computed = try! Digest(parsing: ContentHasher.digestString(of: bytes))
            if let header = response.header("Docker-Content-Digest"), let named = try? Digest(parsing: header) {
                guard ManifestIdentity.isNamed(bytes, mediaType: mediaType, by: named) else {
                    throw MirrorTransportError("GET \(path): manifest content (\(computed)) does not match Docker-Content-Digest \(named)")
                }
                digest = named
            } else {
                digest = computed
            }
        }
        do {
            return FetchedManifest(digest: digest, manifest: try WarmManifest(parsing: bytes, contentType: contentType))
        } catch {
            throw MirrorTransportError("GET \(path): \(error)")
        }
    }

    /// `GET /v2/<name>/blobs/<digest>`, the body hashed as it streams and discarded.
    /// - Parameters:
    ///   - received: told of each piece's size; on a failure after some bytes, told the
    ///     negative of what it was told, so the count it keeps stays true.
    /// - Returns: the body's size in bytes.
    /// - Throws: ``MirrorTransportError`` naming the request and the status and OCI error, a
    ///   body that does not hash to the digest or differs from `expectedByteCount`, or a
    ///   transport failure.
    func fetchBlob(_ image: ImageReference, _ digest: Digest, expectedByteCount: Int64?,
                   received: (Int) -> Void) throws -> Int64 {
        let path = image.blobPath(digest)
        let hasher = ContentHasher(digest.algorithm)
        var byteCount: Int64 = 0
        do {
            let response = try get(path, accept: nil) { piece in
                hasher.update(piece)
                byteCount += Int64(piece.count)
                received(piece.count)
            }
            guard response.isSuccess else { throw Self.failure("GET \(path)", response) }
            let hex = hasher.finalizeHex()
            guard hex == digest.hex else {
                throw MirrorTransportError("GET \(path): content hashes to \(digest.algorithm.rawValue):\(hex), not its digest (\(byteCount) bytes)")
            }
            if let expectedByteCount, expectedByteCount != byteCount {
                throw MirrorTransportError("GET \(path): \(byteCount) bytes, the manifest says \(expectedByteCount)")
            }
            return byteCount
        } catch {
            received(-Int(byteCount))
            throw error
        }
    }

    /// "REQUEST: STATUS CODE: message" from a non-2xx response and its OCI error body
    /// (distribution-spec "Error Codes"), or the start of a body that is not one.
    static func failure(_ request: String, _ response: MirrorResponse) -> MirrorTransportError {
        var reason = "\(request): status \(response.status)"
        if let object = (try? JSONSerialization.jsonObject(with: Data(response.errorBody))) as? [String: Any],
           let errors = object["errors"] as? [[String: Any]], !errors.isEmpty {
            let described = errors.map { error in
                [error["code"] as? String, error["message"] as? String].compactMap { $0 }.joined(separator: ": ")
            }
            reason += " " + described.joined(separator: "; ")
        } else if !response.errorBody.isEmpty {
            let text = String(decoding: response.errorBody.prefix(200), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
            reason += " \(text)"
        }
        return MirrorTransportError(reason)
    }
}
