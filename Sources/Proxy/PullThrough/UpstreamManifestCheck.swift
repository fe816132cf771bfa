import Foundation

/// Whether a manifest an upstream sent for a tag can be served and cached.
///
/// A manifest fetched by digest is checked by that digest. One fetched by tag has nothing the
/// client named to check against, so what the upstream said about it must hold together:
/// - its `Docker-Content-Digest`, when sent (distribution, Docker Hub and GHCR always send it;
///   distribution-spec "Pulling manifests"), is the digest of the bytes, so a truncated or
///   altered body is refused;
/// - its `Content-Type` is a JSON type (every manifest and index type, OCI and Docker, ends in
///   `+json`, or is schema 1's `+prettyjws`), so an HTML error or maintenance page answered
///   with 200 is refused;
/// - the body is a JSON object with an integer `schemaVersion` (OCI image-spec manifest.md
///   and image-index.md; Docker schema 1 and 2 have it too).
/// Such an answer is an upstream failure (502), never cached, and a known tag is served stale
/// instead, as for a 5xx.
///
/// Runs once per manifest miss, off the hit path; the JSON parse is Foundation's.
enum UpstreamManifestCheck {
    /// Why a manifest answer is unusable.
    enum Problem: Error, Equatable, CustomStringConvertible {
        /// The bytes hash to `computed`, not to the `advertised` Docker-Content-Digest.
        case digestMismatch(advertised: Digest, computed: Digest)
        /// The Content-Type is not a manifest type (e.g. `text/html`).
        case notAManifestType(String)
        /// The body is not a JSON object with an integer `schemaVersion`.
        case notAManifest

        var description: String {
            switch self {
            case .digestMismatch(let advertised, let computed):
                "its bytes hash to \(computed), not to its Docker-Content-Digest \(advertised)"
            case .notAManifestType(let mediaType): "its Content-Type \(mediaType) is not a manifest type"
            case .notAManifest: "its body is not a JSON manifest"
            }
        }
    }

    /// Checks a manifest answered for a tag.
    /// - Parameters:
    ///   - bytes: the manifest (inflated if it came compressed).
    ///   - mediaType: its Content-Type without parameters.
    ///   - advertisedDigest: its parsed `Docker-Content-Digest`, nil when absent or malformed.
    /// - Returns: the first problem found, nil when the answer is usable.
    static func problem(bytes: [UInt8], mediaType: String, advertisedDigest: Digest?) -> Problem? {
        if let advertised = advertisedDigest {
            let computedText = ContentHasher.digestString(of: bytes, algorithm: advertised.algorithm)
            if computedText != advertised.string, let computed = try? Digest(parsing: computedText) {
                return .digestMismatch(advertised: advertised, computed: computed)
            }
        }
        let lowercased = mediaType.lowercased()
        guard lowercased.hasSuffix("json") || lowercased.hasSuffix("+prettyjws") else {
            return .notAManifestType(mediaType)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              object["schemaVersion"] is Int
        else { return .notAManifest }
        return nil
    }
}
