/// A repository `<name>` (distribution-spec "Pulling manifests"), e.g. `library/alpine`.
///
/// Grammar: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most
/// ``maximumByteCount`` bytes when parsed.
///
/// Path safety by construction: every `/`-separated component starts and ends with `[a-z0-9]`
/// and contains only `[a-z0-9._-]`, so no component is empty, `.` or `..`, none starts with
/// `.`, and the name has no leading `/`, backslash, NUL, `%` or non-ASCII byte. Appending the
/// name to a directory therefore always yields a path strictly beneath that directory.
public struct RepositoryName: Hashable, Sendable, CustomStringConvertible {
    /// Longest accepted name in bytes. The spec only notes that many clients cap
    /// `host[:port]/<name>` at 255 characters; a name alone can never need more.
    public static let maximumByteCount = 255

    /// The name, e.g. `library/alpine`; always matches the grammar.
    public let string: String

    /// Parses the bytes of a name as they appear in a request path.
    /// - Throws: `NAME_INVALID` (400) when the bytes are empty, longer than
    ///   ``maximumByteCount``, or break the grammar.
    public init(parsing bytes: some Collection<UInt8>) throws(RegistryError) {
        let byteCount = bytes.count
        guard byteCount > 0 else { throw .nameInvalid("repository name is empty") }
        guard byteCount <= Self.maximumByteCount else {
            throw .nameInvalid("repository name is longer than \(Self.maximumByteCount) bytes")
        }
        guard Self.matchesGrammar(bytes) else {
            throw .nameInvalid("repository name must match [a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/...)*")
        }
        self.string = String(decoding: bytes, as: UTF8.self)
    }

    /// Parses a name string; same rules as the byte initializer.
    /// - Throws: `NAME_INVALID` (400).
    public init(parsing text: String) throws(RegistryError) {
        try self.init(parsing: text.utf8)
    }

    private init(validated: String) {
        self.string = validated
    }

    /// The name as the upstream knows it. Docker Hub keeps official images under `library/`,
    /// so with `dockerHub` a one-component name such as `alpine` becomes `library/alpine`;
    /// otherwise the name is returned unchanged. The result still matches the grammar (and so
    /// stays path-safe) but may be up to 8 bytes longer than ``maximumByteCount``.
    public func normalized(dockerHub: Bool) -> RepositoryName {
        guard dockerHub, !string.utf8.contains(UInt8(ascii: "/")) else { return self }
        return RepositoryName(validated: "library/" + string)
    }

    /// The `/`-separated components, e.g. `["library", "alpine"]`; each is non-empty and
    /// never `.` or `..`.
    public var components: [Substring] {
        string.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// Same as ``string``.
    public var description: String { string }

    /// What the grammar allows next, given what came before.
    private enum Expectation {
        /// Start of a component or after `.` or `__`: only `[a-z0-9]`.
        case alphanumeric
        /// After `[a-z0-9]`: anything the grammar allows.
        case any
        /// After a single `_`: `[a-z0-9]` or a second `_`.
        case afterUnderscore
        /// After one or more `-`: `[a-z0-9]` or another `-`.
        case afterDash
    }

    /// True when `bytes` match the spec's name regular expression exactly.
    static func matchesGrammar(_ bytes: some Collection<UInt8>) -> Bool {
        var expectation = Expectation.alphanumeric
        for byte in bytes {
            switch (expectation, byte) {
            case (_, UInt8(ascii: "a")...UInt8(ascii: "z")), (_, UInt8(ascii: "0")...UInt8(ascii: "9")):
                expectation = .any
            case (.any, UInt8(ascii: ".")), (.any, UInt8(ascii: "/")), (.afterUnderscore, UInt8(ascii: "_")):
                expectation = .alphanumeric
            case (.any, UInt8(ascii: "_")):
                expectation = .afterUnderscore
            case (.any, UInt8(ascii: "-")), (.afterDash, UInt8(ascii: "-")):
                expectation = .afterDash
            default:
                return false
            }
        }
        return expectation == .any
    }
}
