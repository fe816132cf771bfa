/// Manifest media types a registry serves (OCI image-spec media-types.md; Docker Image
/// Manifest V2 Schema 2 and Schema 1). Values are lowercase, without parameters, as sent in
/// `Content-Type` and compared against ``AcceptedMediaTypes``.
public enum MediaType {
    /// Docker Image Manifest V2, Schema 2.
    public static let dockerManifestV2 = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list (a multi-platform Schema 2 index).
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker Image Manifest V2, Schema 1, signed (JWS); deprecated but still requested.
    public static let dockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
    /// Docker Image Manifest V2, Schema 1, unsigned.
    public static let dockerManifestV1 = "application/vnd.docker.distribution.manifest.v1+json"
    /// OCI image manifest.
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index.
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"

    /// Every manifest and index type above, the set a mirror asks the upstream for when the
    /// client expressed no preference.
    public static let allManifestTypes: [String] = [
        ociIndex, ociManifest, dockerManifestList, dockerManifestV2, dockerManifestV1Signed, dockerManifestV1,
    ]

    /// True for the two index types (OCI index, Docker manifest list), whose entries are
    /// manifests rather than layers.
    public static func isIndex(_ mediaType: String) -> Bool {
        mediaType == ociIndex || mediaType == dockerManifestList
    }
}
