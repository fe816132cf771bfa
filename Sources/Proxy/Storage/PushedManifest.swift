import Foundation
import ProxyRegistry

/// What a pushed manifest refers to, read to check it before it is stored (distribution-spec
/// "Pushing Manifests": a registry MUST accept a manifest only once every blob and child
/// manifest it names is present, else `MANIFEST_BLOB_UNKNOWN`) and to answer the referrers
/// API (OCI image-spec manifest.md `subject`, `artifactType`; distribution-spec "Listing
/// Referrers").
public struct PushedManifest: Sendable {
    /// `mediaType` in the body, if any.
    public var mediaType: String?
    /// Config and layers (foreign layers left out: a registry never holds them).
    public var blobs: [Digest] = []
    /// An index's child manifests.
    public var children: [Digest] = []
    /// The `subject` descriptor's digest.
    public var subject: Digest?
    /// `artifactType`, or the config's media type (image-spec "Guidelines for Artifact Usage").
    public var artifactType: String?
    /// `annotations` with string values.
    public var annotations: [String: String] = [:]

    /// Parses `bytes`.
    /// - Throws: `MANIFEST_INVALID` (400) for bytes that are not a JSON object, or a
    ///   descriptor whose digest does not parse.
    public init(parsing bytes: [UInt8]) throws(RegistryError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw .manifestInvalid("not a JSON object")
        }
        mediaType = object["mediaType"] as? String
        if let config = object["config"] as? [String: Any] {
            blobs.append(try Self.digest(config))
            artifactType = config["mediaType"] as? String
        }
        for layer in object["layers"] as? [[String: Any]] ?? [] where !Self.isForeign(layer) {
            blobs.append(try Self.digest(layer))
        }
        for manifest in object["manifests"] as? [[String: Any]] ?? [] {
            children.append(try Self.digest(manifest))
        }
        if let subject = object["subject"] as? [String: Any] { self.subject = try Self.digest(subject) }
        if let type = object["artifactType"] as? String { artifactType = type }
        for (key, value) in object["annotations"] as? [String: Any] ?? [:] {
            if let text = value as? String { annotations[key] = text }
        }
    }

    private static func digest(_ descriptor: [String: Any]) throws(RegistryError) -> Digest {
        guard let text = descriptor["digest"] as? String else { throw .manifestInvalid("a descriptor has no digest") }
        do {
            return try Digest(parsing: text)
        } catch {
            throw .manifestInvalid("a descriptor's digest is invalid: \(text)")
        }
    }

    private static func isForeign(_ descriptor: [String: Any]) -> Bool {
        if descriptor["urls"] != nil { return true }
        let mediaType = (descriptor["mediaType"] as? String)?.lowercased() ?? ""
        return mediaType.contains("foreign") || mediaType.contains("nondistributable")
    }
}
