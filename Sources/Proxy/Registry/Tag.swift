/// A manifest tag (distribution-spec "Pulling manifests"): `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`,
/// so 1 to 128 ASCII bytes, never starting with `.` or `-`.
///
/// Path safety by construction: a tag has no `/`, `\`, NUL or `%`, and cannot be `.` or `..`
/// (its first byte is never `.`), so it is usable as a single file-name component.
///
/// Error choice: the spec says a `<reference>` "MUST NOT be in any other format" but names no
/// error code for a malformed tag in a request path. This type answers `MANIFEST_INVALID` with
/// status 400 (the reference registry only answers a bare 404 because its router does not
/// match; its `TAG_INVALID` code is for push and is no longer in the spec's list).
public struct Tag: Hashable, Sendable, CustomStringConvertible {
    /// Longest tag in bytes.
    public static let maximumByteCount = 128

    /// The tag, e.g. `latest` or `3.20`; always matches the grammar.
    public let string: String

    /// Parses the bytes of a tag as they appear in a request path.
    /// - Throws: `MANIFEST_INVALID` (400) when the bytes are empty, longer than 128 bytes, or
    ///   break the grammar.
    public init(parsing bytes: some Collection<UInt8>) throws(RegistryError) {
        guard Self.matchesGrammar(bytes) else {
            throw .manifestInvalid("tag must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
        }
        self.string = String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a tag string; same rules as the byte initializer.
    /// - Throws: `MANIFEST_INVALID` (400).
    public init(parsing text: String) throws(RegistryError) {
        try self.init(parsing: text.utf8)
    }

    /// Same as ``string``.
    public var description: String { string }

    static func matchesGrammar(_ bytes: some Collection<UInt8>) -> Bool {
        var byteCount = 0
        for byte in bytes {
            byteCount += 1
            guard byteCount <= maximumByteCount else { return false }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: "."), UInt8(ascii: "-"):
                guard byteCount > 1 else { return false }
            default:
                return false
            }
        }
        return byteCount > 0
    }
}
