/// A route's `match:` (issue 16 item 1): which repository names (and for one form, which tag)
/// a route applies to.
///
/// Forms:
/// - `name` — exactly that repository;
/// - `name:tag` — that repository's tag `tag` only (never a request by digest);
/// - `prefix*` — every name starting with `prefix`; the `*` also crosses `/` (`mycorp/*`
///   matches `mycorp/a/b`), and `*` alone matches every name.
///
/// Specificity (larger wins): a tag pattern, then an exact name, then the longer prefix.
public enum RoutePattern: Hashable, Sendable, CustomStringConvertible {
    case exact(RepositoryName)
    case tag(RepositoryName, Tag)
    case prefix(String)

    /// Parses the configuration text.
    /// - Throws: a message saying what is wrong (the caller names the key): an empty pattern,
    ///   a `*` anywhere but at the end, a `:tag` together with `*`, a name or tag breaking its
    ///   grammar, or a prefix holding bytes no repository name has.
    public init(configurationText text: String) throws(RoutePatternError) {
        guard !text.isEmpty else { throw RoutePatternError(reason: "must not be empty") }
        if let star = text.firstIndex(of: "*") {
            guard text.index(after: star) == text.endIndex else {
                throw RoutePatternError(reason: "`*` may only end a pattern (it already matches across `/`)")
            }
            let prefix = String(text[..<star])
            guard !prefix.contains(":") else { throw RoutePatternError(reason: "a tag (`:`) cannot be combined with `*`") }
            guard prefix.utf8.allSatisfy(Self.isNameByte) else {
                throw RoutePatternError(reason: "a prefix holds only lower-case letters, digits and . _ - /")
            }
            self = .prefix(prefix)
            return
        }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        do {
            let name = try RepositoryName(parsing: String(parts[0]))
            if parts.count == 2 {
                self = .tag(name, try Tag(parsing: String(parts[1])))
            } else {
                self = .exact(name)
            }
        } catch {
            throw RoutePatternError(reason: "expected a repository name, name:tag or a name ending in * (\(error.detail ?? error.message))")
        }
    }

    /// Whether `name` (and, for a tag pattern, `tag`) is matched; `tag` is nil for requests
    /// that are not by tag (digests, blobs, uploads, tag lists).
    public func matches(_ name: String, tag: String?) -> Bool {
        switch self {
        case .exact(let exact): return exact.string == name
        case .tag(let exact, let wanted): return tag == wanted.string && exact.string == name
        case .prefix(let prefix): return name.utf8.starts(with: prefix.utf8)
        }
    }

    /// Orders patterns that both match: higher wins. Tag patterns rank above every exact
    /// name, which ranks above every prefix; prefixes rank by length.
    public var specificity: Int {
        switch self {
        case .tag: Int.max
        case .exact: Int.max - 1
        case .prefix(let prefix): prefix.utf8.count
        }
    }

    /// The same pattern with a Docker Hub one-component name given its `library/` (so
    /// `match: alpine` on a Docker Hub route matches `alpine` and `library/alpine`).
    public func normalized(dockerHub: Bool) -> RoutePattern {
        switch self {
        case .exact(let name): .exact(name.normalized(dockerHub: dockerHub))
        case .tag(let name, let tag): .tag(name.normalized(dockerHub: dockerHub), tag)
        case .prefix: self
        }
    }

    public var description: String {
        switch self {
        case .exact(let name): name.string
        case .tag(let name, let tag): "\(name.string):\(tag.string)"
        case .prefix(let prefix): prefix + "*"
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
        }
    }
}

/// Why a `match:` text is not a ``RoutePattern``.
public struct RoutePatternError: Error, Equatable, Sendable {
    public var reason: String
}
