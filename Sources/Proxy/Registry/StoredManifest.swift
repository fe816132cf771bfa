/// A manifest as stored: its bytes exactly as the upstream sent them and the
/// media type the upstream declared (served back as Content-Type).
public struct StoredManifest: Sendable, Equatable {
    public var mediaType: String
    public var bytes: [UInt8]
    public var digest: Digest

    public init(mediaType: String, bytes: [UInt8], digest: Digest) {
        self.mediaType = mediaType
        self.bytes = bytes
        self.digest = digest
    }
}
