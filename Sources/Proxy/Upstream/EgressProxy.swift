import Foundation
import ProxyRegistry

/// An HTTP forward proxy an upstream connection goes through: TCP to `host:port`, then a
/// `CONNECT` tunnel for a TLS origin (RFC 9110 section 9.3.6) or an absolute-form request
/// for a plain one (RFC 9112 section 3.2.2).
public struct EgressProxy: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    /// `Basic <base64(user:password)>` when the proxy wants credentials; sent as
    /// `Proxy-Authorization` to the proxy alone (never into the tunnel).
    let authorization: String?

    public init(host: String, port: UInt16, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        if let username {
            authorization = ClientCredential(username: username, password: password ?? "").basicAuthorization
        } else {
            authorization = nil
        }
    }

    public var description: String {
        "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }
}

/// Which proxy, if any, a request of one upstream goes through.
public enum EgressRoute: Sendable, Equatable {
    /// Straight to the origin.
    case direct
    /// Every origin through this proxy (an upstream's own `proxy:`).
    case fixed(EgressProxy)
    /// As the environment says: `https` origins through `https`, `http` ones through `http`,
    /// except the hosts `noProxy` lists and loopback (which Go's and curl's clients never
    /// proxy either, so that a local registry keeps working under a global proxy setting).
    case environment(http: EgressProxy?, https: EgressProxy?, noProxy: NoProxyList)

    /// The proxy for a request to `origin`, nil for a direct connection.
    public func proxy(for origin: Origin) -> EgressProxy? {
        switch self {
        case .direct:
            return nil
        case .fixed(let proxy):
            return proxy
        case .environment(let http, let https, let noProxy):
            guard let proxy = origin.useTLS ? https : http else { return nil }
            if NoProxyList.isLoopback(origin.host) || noProxy.matches(host: origin.host, port: origin.port) { return nil }
            return proxy
        }
    }
}
