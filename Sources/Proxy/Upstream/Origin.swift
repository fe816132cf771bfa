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
        if url.hasPrefix("https://") {
            useTLS = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
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

    /// Resolves a `Location` field value (absolute, or absolute-path relative
    /// to this origin; RFC 9110 section 10.2.2). A URI reference is visible ASCII only
    /// (RFC 3986 section 2), so a value with a space, a control character or a non-ASCII
    /// byte is refused (nil) rather than copied into the next request line, where it could
    /// add fields of the upstream's choosing. A fragment is dropped.
    public func resolve(location: String) -> (origin: Origin, pathAndQuery: String)? {
        guard location.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        if location.hasPrefix("/") && !location.hasPrefix("//") {
            return (self, String(location.prefix { $0 != "#" }))
        }
        if location.hasPrefix("//") { return Origin.parse(absoluteURL: (useTLS ? "https:" : "http:") + location) }
        return Origin.parse(absoluteURL: location)
    }
}
