import Foundation
import ProxyRegistry

/// Whether a manifest an upstream sent for a tag can be served and cached.
///
/// A manifest fetched by digest is checked by that digest. One fetched by tag has nothing the
/// client named to check against, so what the upstream said about it must hold together:
/// - its `Docker-Content-Digest`, when sent (distribution, Docker Hub and GHCR always send it;
///   distribution-spec "Pulling manifests"), is the digest of the bytes, so a truncated or
///   altered body is refused; a field that is sent but is no digest, or sent twice with
///   different values, is refused too. A signed schema 1 manifest is named by its payload
///   digest (see ``ManifestIdentity``);
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
        /// The Docker-Content-Digest field is no digest, or several lines disagree.
        case unusableDigestField(String)
        /// The Content-Type is not a manifest type (e.g. `text/html`).
        case notAManifestType(String)
        /// The body is not a JSON object with an integer `schemaVersion`.
        case notAManifest

        var description: String {
            switch self {
            case .digestMismatch(let advertised, let computed):
                "its bytes hash to \(computed), not to its Docker-Content-Digest \(advertised)"
            case .unusableDigestField(let value): "its Docker-Content-Digest \(value) is unusable"
            case .notAManifestType(let mediaType): "its Content-Type \(mediaType) is not a manifest type"
            case .notAManifest: "its body is not a JSON manifest"
            }
        }
    }

    /// Checks a manifest answered for a tag.
    /// - Parameters:
    ///   - bytes: the manifest (inflated if it came compressed).
    ///   - mediaType: its Content-Type without parameters.
    ///   - digestFieldValues: every `Docker-Content-Digest` value sent (usually one, or none).
    /// - Returns: the first problem found, nil when the answer is usable.
    static func problem(bytes: [UInt8], mediaType: String, digestFieldValues: [String]) -> Problem? {
        let lowercased = mediaType.lowercased()
        if let first = digestFieldValues.first {
            let value = first.trimmingCharacters(in: .whitespaces)
            guard digestFieldValues.allSatisfy({ $0.trimmingCharacters(in: .whitespaces) == value }) else {
                return .unusableDigestField(digestFieldValues.joined(separator: ", "))
            }
            guard let advertised = try? Digest(parsing: value) else { return .unusableDigestField(value) }
            if !ManifestIdentity.isNamed(bytes, mediaType: lowercased, by: advertised),
               let computed = try? Digest(parsing: ContentHasher.digestString(of: bytes, algorithm: advertised.algorithm)) {
                return .digestMismatch(advertised: advertised, computed: computed)
            }
        }
        guard lowercased.hasSuffix("json") || lowercased.hasSuffix("+prettyjws") else {
            return .notAManifestType(mediaType)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let schemaVersion = object["schemaVersion"] as? NSNumber, !isBoolean(schemaVersion),
              schemaVersion.doubleValue == schemaVersion.doubleValue.rounded()
        else { return .notAManifest }
        return nil
    }

    /// JSON `true`/`false` arrive as NSNumber too; a schemaVersion must be a number.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "c" || type == "B"
    }
}
