/// An HTTP forward proxy Cistern sends upstream requests through: `http://[user:pass@]host[:port]`.
///
/// Only `http://` proxies: the hop to the proxy is plain, and a TLS upstream is reached through
/// it with `CONNECT` (RFC 9110 section 9.3.6), so the registry's TLS runs end to end. User and
/// password (percent-decoded, RFC 3986 section 2.1) become `Proxy-Authorization: Basic`.
public struct EgressProxyURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// The URL's port, 80 when it names none (as curl and Go do).
    public var port: UInt16
    public var username: String?
    public var password: String?

    public init(host: String, port: UInt16, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// The proxy as a URL, without the password (for logs and `--print-config`).
    public var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "http://" + (username.map { "\($0):***@" } ?? "") + "\(bracketed):\(port)"
    }

    /// Parses `text`; a bare `host:port` is taken as `http://host:port` (as curl does).
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` naming `key` for
    ///   another scheme, a missing host, a bad port, or a path.
    public static func parse(_ text: String, key: String) throws -> EgressProxyURL {
        func invalid(_ reason: String) -> ConfigurationError {
            .invalidValue(key: key, value: redacted(text), reason: reason)
        }
        var rest = Substring(text).drop(while: { $0 == " " || $0 == "\t" })
        while rest.last == " " || rest.last == "\t" { rest = rest.dropLast() }
        if let scheme = rest.firstRange(of: "://") {
            guard rest[..<scheme.lowerBound].lowercased() == "http" else {
                throw invalid("only http:// proxies are supported (TLS upstreams are reached through them with CONNECT)")
            }
            rest = rest[scheme.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("#") else { throw invalid("a proxy URL has no path") }
        var proxy = EgressProxyURL(host: "", port: 80)
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            proxy.username = percentDecoded(parts[0])
            proxy.password = parts.count > 1 ? percentDecoded(parts[1]) : ""
        }
        var host = rest
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let port = UInt16(after.dropFirst()), port > 0 else { throw invalid("bad port") }
                proxy.port = port
            } else if !after.isEmpty {
                throw invalid("unexpected text after the host")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else { throw invalid("bad port") }
            proxy.port = port
        }
        guard !host.isEmpty else { throw invalid("no host") }
        proxy.host = host.lowercased()
        return proxy
    }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.firstRange(of: "://")?.upperBound ?? text.startIndex
        let userinfo = text[start..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
