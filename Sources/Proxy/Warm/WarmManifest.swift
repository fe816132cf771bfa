import Foundation
import ProxyPullThrough
import ProxyRegistry

/// What `cistern warm` reads from a manifest (OCI image-spec manifest.md and image-index.md;
/// Docker schema 2 and manifest list have the same shape; schema 1 names layers
/// `fsLayers[].blobSum`): an index's child manifests with their platforms, or an image's
/// config and layer blobs. Foreign (non-distributable) layers are left out: registries do
/// not hold them.
public struct WarmManifest: Sendable {
    /// A child manifest of an index.
    public struct Child: Sendable, Equatable {
        public var digest: Digest
        /// Nil when the entry names none.
        public var platform: Platform?
    }

    /// A blob an image manifest names.
    public struct Blob: Sendable, Equatable {
        public var digest: Digest
        /// The descriptor's size in bytes; nil when not stated (schema 1).
        public var byteCount: Int64?
    }

    /// Child manifests (an index), in document order.
    public var children: [Child] = []
    /// Config, then layers (an image manifest), in document order.
    public var blobs: [Blob] = []
    /// Whether it is an index or manifest list (by media type, or by a `manifests` array).
    public var isIndex = false

    /// Parses a manifest body.
    /// - Parameter contentType: the response's `Content-Type`, used when the body has no
    ///   `mediaType` field.
    /// - Throws: ``MirrorTransportError`` when the body is not a JSON object or an entry's
    ///   digest is malformed.
    public init(parsing bytes: [UInt8], contentType: String?) throws(MirrorTransportError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw MirrorTransportError("manifest is not a JSON object")
        }
        let mediaType = (object["mediaType"] as? String) ?? contentType.map { String($0.split(separator: ";")[0]) } ?? ""
        isIndex = MediaType.isIndex(mediaType.trimmingCharacters(in: .whitespaces).lowercased()) || object["manifests"] != nil
        for entry in object["manifests"] as? [[String: Any]] ?? [] {
            var platform: Platform?
            if let p = entry["platform"] as? [String: Any], let os = p["os"] as? String, let architecture = p["architecture"] as? String {
                platform = Platform(os: os, architecture: architecture, variant: p["variant"] as? String)
            }
            children.append(Child(digest: try Self.digest(entry["digest"]), platform: platform))
        }
        if let config = object["config"] as? [String: Any] {
            blobs.append(Blob(digest: try Self.digest(config["digest"]), byteCount: Self.size(config["size"])))
        }
        for layer in object["layers"] as? [[String: Any]] ?? [] where !Self.isForeign(layer) {
            blobs.append(Blob(digest: try Self.digest(layer["digest"]), byteCount: Self.size(layer["size"])))
        }
        for layer in object["fsLayers"] as? [[String: Any]] ?? [] {
            blobs.append(Blob(digest: try Self.digest(layer["blobSum"]), byteCount: nil))
        }
    }

    /// The children to warm: all of them (`platform` nil), or the first whose platform
    /// matches (``Platform/matches(_:)``).
    /// - Throws: ``MirrorTransportError`` naming the platforms present when none matches.
    public func selectedChildren(for platform: Platform?) throws(MirrorTransportError) -> [Child] {
        guard let platform else { return children }
        if let match = children.first(where: { $0.platform.map(platform.matches) ?? false }) { return [match] }
        let present = children.compactMap { $0.platform?.description }.joined(separator: ", ")
        throw MirrorTransportError("no manifest for \(platform) in the index (it has \(present.isEmpty ? "none named" : present))")
    }

    /// A layer with `urls`, or a foreign / non-distributable media type (descriptor.md).
    static func isForeign(_ descriptor: [String: Any]) -> Bool {
        if descriptor["urls"] != nil { return true }
        let mediaType = (descriptor["mediaType"] as? String)?.lowercased() ?? ""
        return mediaType.contains("foreign") || mediaType.contains("nondistributable")
    }

    private static func digest(_ value: Any?) throws(MirrorTransportError) -> Digest {
        guard let text = value as? String else { throw MirrorTransportError("manifest entry without a digest") }
        do {
            return try Digest(parsing: text)
        } catch {
            throw MirrorTransportError("manifest entry digest \(text): \(error.message)")
        }
    }

    private static func size(_ value: Any?) -> Int64? {
        (value as? NSNumber)?.int64Value
    }
}
