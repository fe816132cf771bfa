/// A manifest `<reference>` (distribution-spec "Pulling manifests"): either a tag or a digest,
/// "MUST NOT be in any other format".
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    /// A mutable name for a manifest, resolved through the upstream.
    case tag(Tag)
    /// An immutable content address.
    case digest(Digest)

    /// Parses a reference from path bytes. A tag can never contain `:` and a digest always
    /// does, so the presence of `:` decides which grammar applies.
    /// - Throws: `DIGEST_INVALID` (400) for a malformed digest, `MANIFEST_INVALID` (400) for a
    ///   malformed tag (see ``Tag``).
    public init(parsing bytes: some Collection<UInt8>) throws(RegistryError) {
        if bytes.contains(UInt8(ascii: ":")) {
            self = .digest(try Digest(parsing: bytes))
        } else {
            self = .tag(try Tag(parsing: bytes))
        }
    }

    /// Parses a reference string; same rules as the byte initializer.
    public init(parsing text: String) throws(RegistryError) {
        try self.init(parsing: text.utf8)
    }

    /// The reference as it appears in a URL: the tag, or `algorithm:hex`.
    public var string: String {
        switch self {
        case .tag(let tag): tag.string
        case .digest(let digest): digest.string
        }
    }

    /// Same as ``string``.
    public var description: String { string }
}
