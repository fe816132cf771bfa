/// Where an upstream request goes: scheme, host and port (RFC 9110 section
/// 4.3.1), plus the path-and-query to request there.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public var useTLS: Bool
    public var host: String
    public var port: UInt16

    public init(useTLS: Bool, host: String, port: UInt16) {
        self.useTLS = useTLS
        self.host = host
        self.port = port
    }

    /// The `Host` field value: the port is omitted when it is the scheme's default.
    public var hostField: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return (useTLS && port == 443) || (!useTLS && port == 80) ? bracketed : "\(bracketed):\(port)"
    }

    public var description: String { (useTLS ? "https://" : "http://") + hostField }

    /// Parses an absolute `http(s)://host[:port]/path?query` URL.
    /// - Returns: the origin and the path-and-query ("/" when empty), or nil
    ///   for anything else (other schemes, userinfo, bad ports).
    public static func parse(absoluteURL url: String) -> (origin: Origin, pathAndQuery: String)? {
        let useTLS: Bool
        var rest: Substring
        // Schemes are case-insensitive (RFC 3986 section 3.1).
        let scheme = url.prefix(8).lowercased()
        if scheme.hasPrefix("https://") {
            useTLS = true
            rest = url.dropFirst(8)
        } else if scheme.hasPrefix("http://") {
            useTLS = false
            rest = url.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port: UInt16 = useTLS ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = UInt16(after.dropFirst()), p > 0 else { return nil }
                port = p
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { return nil }
            port = p
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        var pathAndQuery = String(rest)
        if pathAndQuery.isEmpty { pathAndQuery = "/" }
        if pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        return (Origin(useTLS: useTLS, host: host.lowercased(), port: port), pathAndQuery)
    }

    /// Resolves a `Location` field value against this origin and `basePath`, the path of the
    /// request that was redirected (RFC 9110 section 10.2.2, RFC 3986 section 5.2): absolute,
    /// network-path (`//host/...`), absolute-path (`/...`) or a relative path merged with the
    /// base's directory (one with `.` or `..` segments is refused rather than normalised).
    /// A URI reference is visible ASCII only
    /// (RFC 3986 section 2), so a value with a space, a control character or a non-ASCII
    /// byte is refused (nil) rather than copied into the next request line, where it could
    /// add fields of the upstream's choosing. A fragment is dropped.
    public func resolve(location: String, basePath: String = "/") -> (origin: Origin, pathAndQuery: String)? {
        guard !location.isEmpty, location.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let withoutFragment = String(location.prefix { $0 != "#" })
        if withoutFragment.hasPrefix("//") { return Origin.parse(absoluteURL: (useTLS ? "https:" : "http:") + withoutFragment) }
        if withoutFragment.hasPrefix("/") { return (self, withoutFragment) }
        // A scheme is letters, digits, "+", "-", "." before the first ":" (RFC 3986 section 3.1).
        if let colon = withoutFragment.firstIndex(of: ":"),
           !withoutFragment[..<colon].contains(where: { $0 == "/" || $0 == "?" }) {
            return Origin.parse(absoluteURL: withoutFragment)
        }
        let path = withoutFragment.prefix { $0 != "?" }
        guard !path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) else {
            return nil
        }
        let basePathOnly = basePath.prefix { $0 != "?" }
        let directory = basePathOnly.lastIndex(of: "/").map { basePathOnly[...$0] } ?? "/"
        return (self, (directory.hasPrefix("/") ? String(directory) : "/") + withoutFragment)
    }
}
