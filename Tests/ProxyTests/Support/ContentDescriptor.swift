/// An OCI content descriptor as the fixtures need it: media type, digest and size of one blob
/// or manifest (OCI image-spec descriptor.md).
struct ContentDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The `mediaType` field, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.
    let mediaType: String
    /// The `digest` field, `sha256:<64 lowercase hex>`.
    let digest: String
    /// The `size` field: the content's length in bytes.
    let byteCount: Int

    /// The hex part of `digest`, which is also the blob's file name in an OCI layout and in
    /// skopeo's `dir:` transport.
    var hex: String { String(digest.dropFirst("sha256:".count)) }

    var description: String { "\(mediaType) \(digest) (\(byteCount) bytes)" }
}
