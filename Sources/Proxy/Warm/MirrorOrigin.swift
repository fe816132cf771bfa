import Foundation

/// Where `cistern warm` sends requests: `http` or `https`, a host and a port (RFC 9110
/// section 4.3.1 origin), from `--mirror` or a redirect's `Location`.
public struct MirrorOrigin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    public let scheme: String
    /// The host name or IP literal, without brackets.
    public let host: String
    /// The TCP port (80 / 443 when the URL names none).
    public let port: UInt16

    /// Why a URL cannot be used.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Reads the origin of an absolute `http` or `https` URL; a path, if any, is ignored.
    /// - Throws: ``Invalid`` for another scheme, no host, or a port out of range.
    public init(parsing text: String) throws(Invalid) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https"
        else { throw Invalid(description: "\(text): expected an http:// or https:// URL") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "\(text): no host") }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { throw Invalid(description: "\(text): port out of range") }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = UInt16(port)
    }

    /// Whether TLS is used.
    public var isTLS: Bool { scheme == "https" }

    /// The `Host` header value: the host (bracketed when IPv6) and a non-default port.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort: UInt16 = isTLS ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }

    public var description: String { "\(scheme)://\(hostHeader)" }
}
