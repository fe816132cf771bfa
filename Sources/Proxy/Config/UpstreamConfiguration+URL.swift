import ProxyLogging

extension UpstreamConfiguration {
    /// Splits an upstream base URL into scheme, host and port (RFC 3986 §3 syntax,
    /// restricted to what a registry base URL may hold: `scheme://host[:port][/]`).
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` with key `url`.
    static func parseURL(_ url: String) throws -> (scheme: UpstreamScheme, host: String, port: UInt16) {
        func invalid(_ reason: String) -> ConfigurationError {
            // The message repeats the URL: never with credentials someone put in it.
            .invalidValue(key: "url", value: LogRedaction.target(url), reason: reason)
        }
        guard let separator = url.firstRange(of: "://") else {
            throw invalid("expected scheme://host[:port], e.g. https://registry-1.docker.io")
        }
        guard let scheme = UpstreamScheme(rawValue: url[..<separator.lowerBound].lowercased()) else {
            throw invalid("scheme must be http or https")
        }
        let afterScheme = url[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let remainder = afterScheme[authorityEnd...]
        guard remainder.isEmpty || remainder == "/" else {
            throw invalid("must not have a path, query or fragment (Cistern appends /v2/ itself)")
        }
        guard !authority.contains("@") else {
            throw invalid("credentials belong in username / password_file, not in the URL")
        }
        let hostText: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 literal") }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw invalid("unexpected text after IPv6 literal") }
                portText = rest.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            hostText = authority
        }
        guard !hostText.isEmpty else { throw invalid("missing host") }
        guard !hostText.contains(where: { $0.isWhitespace || $0 == "[" || $0 == "]" }) else {
            throw invalid("host contains characters not allowed in a host name")
        }
        var port = scheme.defaultPort
        if let portText {
            guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let parsed = UInt16(portText), parsed != 0
            else { throw invalid("port must be a number from 1 to 65535") }
            port = parsed
        }
        return (scheme, hostText.lowercased(), port)
    }

    /// Checks that `name` could be a registry host as containerd's `ns` carries it.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` with key `name`.
    static func validateName(_ name: String) throws {
        guard !name.isEmpty else {
            throw ConfigurationError.invalidValue(key: "name", value: name, reason: "must not be empty")
        }
        guard !name.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "?" || $0 == "#" || $0 == "@" }) else {
            throw ConfigurationError.invalidValue(
                key: "name", value: name, reason: "must be a registry host such as docker.io or ghcr.io")
        }
    }
}
