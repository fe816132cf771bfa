/// The media type strings the fixtures write, from the OCI image-spec (media-types.md) and
/// Docker's Image Manifest V2, Schema 2 (distribution docs/spec/manifest-v2-2.md).
enum FixtureMediaType {
    /// OCI image manifest.
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index.
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// OCI image config.
    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// OCI gzip'd tar layer.
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// Docker schema 2 image manifest.
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list.
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker image config.
    static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// Docker gzip'd tar layer.
    static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// True for the two multi-platform types (OCI index, Docker manifest list).
    static func isIndex(_ mediaType: String) -> Bool {
        mediaType == ociIndex || mediaType == dockerManifestList
    }
}
