import Foundation
import ProxyRegistry

/// What a manifest points at, for prefetching and repository links (OCI image
/// spec, manifest.md and image-index.md; Docker's schema2 manifest and manifest
/// list have the same shape; schema 1 names its layers `fsLayers[].blobSum`):
/// an image manifest's config and layers, or an index's child manifests with
/// their platforms.
struct ManifestReferences: Equatable {
    struct Child: Equatable {
        var digest: Digest
        var platform: Platform?
    }

    /// Blobs of an image manifest (config first, then layers).
    var blobs: [Digest] = []
    /// Child manifests of an index / manifest list.
    var children: [Child] = []

    /// Parses `bytes`; unknown shapes yield no references (prefetch is an
    /// optimisation: a manifest it cannot read is simply not prefetched).
    init(parsing bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return }
        if let config = object["config"] as? [String: Any], let digest = ManifestReferences.digest(config) {
            blobs.append(digest)
        }
        for layer in object["layers"] as? [[String: Any]] ?? [] {
            if !ManifestReferences.isForeign(layer), let digest = ManifestReferences.digest(layer) { blobs.append(digest) }
        }
        // Docker schema 1: layers are `fsLayers[].blobSum` (no config blob).
        for layer in object["fsLayers"] as? [[String: Any]] ?? [] {
            if let digest = (layer["blobSum"] as? String).flatMap({ try? Digest(parsing: $0) }) { blobs.append(digest) }
        }
        for manifest in object["manifests"] as? [[String: Any]] ?? [] {
            guard let digest = ManifestReferences.digest(manifest) else { continue }
            var platform: Platform?
            if let p = manifest["platform"] as? [String: Any], let os = p["os"] as? String, let architecture = p["architecture"] as? String {
                platform = Platform(os: os, architecture: architecture, variant: p["variant"] as? String)
            }
            children.append(Child(digest: digest, platform: platform))
        }
    }

    /// A foreign (non-distributable) layer: `urls`, or a `foreign` / `nondistributable` media
    /// type (OCI image-spec descriptor.md, Docker's foreign layers). A registry does not check
    /// that it holds such a layer when it accepts the manifest, so naming one vouches for
    /// nothing: it is never linked to the repository, nor prefetched.
    static func isForeign(_ descriptor: [String: Any]) -> Bool {
        if descriptor["urls"] != nil { return true }
        let mediaType = (descriptor["mediaType"] as? String)?.lowercased() ?? ""
        return mediaType.contains("foreign") || mediaType.contains("nondistributable")
    }

    private static func digest(_ descriptor: [String: Any]) -> Digest? {
        (descriptor["digest"] as? String).flatMap { try? Digest(parsing: $0) }
    }
}

/// An image platform, `os/architecture[/variant]` (OCI image-index.md).
public struct Platform: Equatable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String?) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `linux/amd64` or `linux/arm64/v8`; nil for other shapes.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// Whether `other` (from an index) is this platform; a variant is only
    /// compared when both name one.
    public func matches(_ other: Platform) -> Bool {
        guard os == other.os, architecture == other.architecture else { return false }
        if let variant, let otherVariant = other.variant { return variant == otherVariant }
        return true
    }

    public var description: String {
        variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)"
    }
}
