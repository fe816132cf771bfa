import Foundation

/// An image `ImageBuilder` wrote as an OCI image layout directory (OCI image-spec
/// image-layout.md): `oci-layout`, `index.json` and `blobs/sha256/<hex>` for every manifest,
/// index, config and layer, with the exact bytes the seeder pushes.
struct BuiltImage: Sendable {
    /// A platform entry of an index (`platform.os`, `platform.architecture`).
    struct Platform: Sendable, Hashable {
        /// `platform.os`, e.g. `linux`.
        let os: String
        /// `platform.architecture`, e.g. `amd64`.
        let architecture: String

        /// linux/amd64.
        static let linuxAmd64 = Platform(os: "linux", architecture: "amd64")
        /// linux/arm64.
        static let linuxArm64 = Platform(os: "linux", architecture: "arm64")
    }

    /// One single-platform image manifest (OCI or Docker schema 2) and what it references.
    struct Manifest: Sendable {
        /// The manifest itself: media type, digest of `bytes`, `bytes.count`.
        let descriptor: ContentDescriptor
        /// The manifest's exact JSON bytes.
        let bytes: Data
        /// Its config blob.
        let config: ContentDescriptor
        /// Its layer blobs, base first.
        let layers: [ContentDescriptor]
        /// Its platform (also written in the config's `os` / `architecture`).
        let platform: Platform
    }

    /// The OCI image layout directory.
    let layoutDirectory: URL
    /// What a tag points at: the manifest of a single-platform image, or the index / list.
    let root: ContentDescriptor
    /// The root's exact JSON bytes.
    let rootBytes: Data
    /// Every image manifest: one for a single-platform image, one per platform for an index.
    let manifests: [Manifest]

    /// True when `root` is an OCI index or Docker manifest list.
    var isIndex: Bool { FixtureMediaType.isIndex(root.mediaType) }

    /// Every config and layer blob, each once, in first-reference order.
    var blobs: [ContentDescriptor] {
        var seen = Set<String>()
        return manifests.flatMap { [$0.config] + $0.layers }.filter { seen.insert($0.digest).inserted }
    }

    /// Every layer blob, each once.
    var layers: [ContentDescriptor] {
        var seen = Set<String>()
        return manifests.flatMap(\.layers).filter { seen.insert($0.digest).inserted }
    }

    /// Where the layout stores the content with this digest (`blobs/sha256/<hex>`).
    func blobURL(digest: String) -> URL {
        layoutDirectory.appendingPathComponent("blobs/sha256/\(digest.dropFirst("sha256:".count))")
    }

    /// The stored bytes with this digest.
    /// - Throws: the read error when the layout has no such blob.
    func contents(digest: String) throws -> Data {
        try Data(contentsOf: blobURL(digest: digest))
    }
}
