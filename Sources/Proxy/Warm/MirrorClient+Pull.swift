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
    /// Every manifest type a pull accepts (OCI index and manifest, Docker manifest list and
    /// schema 2), as one comma-joined `Accept` line, as containerd and Docker send it.
    static let manifestAccept = [
        MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifestV2,
    ].joined(separator: ", ")

    /// Largest manifest read (distribution refuses larger ones too).
    static let manifestByteLimit = 4 * 1_048_576

    /// `GET /v2/<name>/manifests/<reference>` with the full `Accept` list. A manifest asked
    /// for by digest must be named by that digest (``ManifestIdentity/isNamed(_:mediaType:by:)``);
    /// one asked for by tag must be named by its `Docker-Content-Digest` when sent.
    /// - Throws: ``MirrorTransportError`` naming the request and the status and OCI error,
    ///   a digest mismatch, an oversized or unreadable manifest, or a transport failure.
    func fetchManifest(_ image: ImageReference, _ reference: Reference) throws -> FetchedManifest {
        let path = image.manifestPath(reference)
        var bytes: [UInt8] = []
        let response = try get(path, accept: Self.manifestAccept) { piece in
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
