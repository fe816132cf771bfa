/// The content the origin serves: synthetic layer blobs, one small config blob and one
/// OCI image manifest (OCI image-spec `application/vnd.oci.image.manifest.v1+json`) that
/// references them all. Any repository name serves the same content (the name only carries
/// the throttle rate, see ``OriginRoute``).
public struct RegistryFixture: Sendable {
    /// The layer blobs, in manifest order.
    public let layers: [SyntheticBlob]
    /// The config blob's bytes (a minimal image config JSON).
    public let configBytes: [UInt8]
    /// `sha256:<hex>` of `configBytes`.
    public let configDigest: String
    /// The manifest's bytes.
    public let manifestBytes: [UInt8]
    /// `sha256:<hex>` of `manifestBytes`.
    public let manifestDigest: String
    /// The tag that also names the manifest.
    public let tag = "latest"

    /// The manifest media type.
    public static let manifestMediaType = "application/vnd.oci.image.manifest.v1+json"

    /// Builds the fixture for `layers` (digests already computed).
    public init(layers: [SyntheticBlob]) {
        self.layers = layers
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#
        configBytes = Array(config.utf8)
        configDigest = SHA256Hasher.digest(of: configBytes)
        var manifest = #"{"schemaVersion":2,"mediaType":"\#(RegistryFixture.manifestMediaType)","#
        manifest += #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(configDigest)","size":\#(configBytes.count)},"#
        manifest += #""layers":["#
        manifest += layers.map {
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#($0.digest)","size":\#($0.byteCount)}"#
        }.joined(separator: ",")
        manifest += "]}"
        manifestBytes = Array(manifest.utf8)
        manifestDigest = SHA256Hasher.digest(of: manifestBytes)
    }

    /// The layer named `digest`, if any.
    public func layer(digest: String) -> SyntheticBlob? {
        layers.first { $0.digest == digest }
    }

    /// Layers of `sizes[i]` bytes with seeds `firstSeed + i`.
    public static func layers(sizes: [Int64], firstSeed: Int = 1) -> [SyntheticBlob] {
        sizes.enumerated().map { SyntheticBlob(seed: firstSeed + $0.offset, byteCount: $0.element) }
    }
}
