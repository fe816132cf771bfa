import ProxyRegistry

/// Where and how to ask a Docker token service for a bearer token ("Token Authentication
/// Specification", "Requesting a Token"): `GET <realm>?service=<service>&scope=<scope>…`,
/// split into the pieces an HTTP/1.1 client needs.
///
/// The realm comes from an upstream `WWW-Authenticate` challenge, so it is treated as
/// untrusted: only `http`/`https` URLs without userinfo are accepted, and the target holds
/// visible ASCII only, so it cannot split the request line.
public struct TokenRequest: Hashable, Sendable {
    /// True for an `https` realm.
    public let usesTLS: Bool
    /// Host name or IP literal to connect to (IPv6 without brackets).
    public let host: String
    /// TCP port: explicit, or 443 / 80 by scheme.
    public let port: Int
    /// The origin-form request target: realm path, realm query (if any), then `service`
    /// and one `scope` parameter per scope, each value percent-encoded.
    public let target: String

    /// Builds the request from a Bearer challenge's parameters.
    /// - Parameters:
    ///   - realm: absolute `http(s)` URL of the token service.
    ///   - service: the challenge's `service`, sent when non-nil.
    ///   - scopes: one `scope` parameter each, e.g. `repository:library/alpine:pull`. A
    ///     challenge's space-separated `scope` should be split into separate scopes.
    /// - Throws: `UPSTREAM_ERROR` (502) for a realm that is not a usable absolute URL.
    public init(realm: String, service: String?, scopes: [String]) throws(RegistryError) {
        let bytes = Array(realm.utf8)
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw .upstreamError("token realm has invalid bytes") }
        let lowered = realm.lowercased()
        let authorityStart: Int
        if lowered.hasPrefix("https://") {
            usesTLS = true
            authorityStart = 8
        } else if lowered.hasPrefix("http://") {
            usesTLS = false
            authorityStart = 7
        } else {
            throw .upstreamError("token realm is not an http(s) URL")
        }
        let authorityEnd = bytes[authorityStart...].firstIndex { "/?#".utf8.contains($0) } ?? bytes.endIndex
        let authority = bytes[authorityStart..<authorityEnd]
        guard !authority.contains(UInt8(ascii: "@")) else { throw .upstreamError("token realm must not carry userinfo") }
        (host, port) = try Self.hostAndPort(authority, defaultPort: usesTLS ? 443 : 80)

        let fragmentStart = bytes[authorityEnd...].firstIndex(of: UInt8(ascii: "#")) ?? bytes.endIndex
        var target = String(decoding: bytes[authorityEnd..<fragmentStart], as: UTF8.self)
        if !target.hasPrefix("/") { target = "/" + target }
        var separator = target.contains("?") ? (target.hasSuffix("?") || target.hasSuffix("&") ? "" : "&") : "?"
        if let service {
            target += separator + "service=" + Self.percentEncoded(service)
            separator = "&"
        }
        for scope in scopes {
            target += separator + "scope=" + Self.percentEncoded(scope)
            separator = "&"
        }
        self.target = target
    }

    /// The `Host` field value: the host (bracketed when IPv6) plus `:port` unless it is the
    /// scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters (ALPHA, DIGIT, `-`,
    /// `.`, `_`, `~`), with uppercase hex (RFC 3986 section 2.1), so `:` `/` `+` and spaces in a
    /// scope or service arrive intact.
    public static func percentEncoded(_ text: String) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Splits `host[:port]` or `[v6]:port` (RFC 3986 section 3.2.2 and 3.2.3).
    private static func hostAndPort(_ authority: ArraySlice<UInt8>, defaultPort: Int) throws(RegistryError) -> (String, Int) {
        var hostBytes = authority
        var portBytes: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { throw .upstreamError("token realm has a bad IPv6 host") }
            hostBytes = authority[(authority.startIndex + 1)..<close]
            let rest = authority[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else { throw .upstreamError("token realm has a bad port") }
                portBytes = rest.dropFirst()
            }
            guard hostBytes.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || isHexDigit($0) }) else {
                throw .upstreamError("token realm has a bad IPv6 host")
            }
        } else if let colon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = authority[..<colon]
            portBytes = authority[(colon + 1)...]
        }
        guard !hostBytes.isEmpty, authority.first == UInt8(ascii: "[") || hostBytes.allSatisfy(isHostNameByte) else {
            throw .upstreamError("token realm has a bad host")
        }
        var port = defaultPort
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.allSatisfy({ (0x30...0x39).contains($0) }),
                  let value = Int(String(decoding: portBytes, as: UTF8.self)), (1...65535).contains(value) else {
                throw .upstreamError("token realm has a bad port")
            }
            port = value
        }
        return (String(decoding: hostBytes, as: UTF8.self), port)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20)
    }

    /// Registered-name bytes a DNS host or IPv4 literal can hold.
    private static func isHostNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
