/// How one upstream's requests leave the host (YAML `upstreams[].proxy`, `--upstream-proxy`).
public enum EgressProxySetting: Sendable, Hashable, CustomStringConvertible {
    /// `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the environment (the default).
    case environment
    /// Never through a proxy, whatever the environment says (`proxy: direct`).
    case direct
    /// Every request made for this upstream (registry, token service, blob redirects) goes
    /// through this proxy; `NO_PROXY` does not apply.
    case proxy(EgressProxyURL)

    /// Parses a setting: `direct`, `environment`, or a proxy URL.
    /// - Throws: ``ConfigurationError`` naming `key` for a bad URL.
    public static func parse(_ text: String, key: String) throws -> EgressProxySetting {
        switch text.lowercased() {
        case "direct", "none": return .direct
        case "environment", "env": return .environment
        default: return .proxy(try EgressProxyURL.parse(text, key: key))
        }
    }

    /// The setting as written in YAML (without a password).
    public var description: String {
        switch self {
        case .environment: return "environment"
        case .direct: return "direct"
        case .proxy(let url): return url.description
        }
    }
}

/// The proxy variables of the environment (read once at start-up), as curl and Go read them:
/// `HTTPS_PROXY` for https upstreams, `HTTP_PROXY` for http ones, `NO_PROXY` for the
/// exceptions; the upper-case name first, then the lower-case one.
public struct EgressEnvironment: Sendable, Equatable {
    public var httpProxy: EgressProxyURL?
    public var httpsProxy: EgressProxyURL?
    /// The raw `NO_PROXY` list (comma-separated; matched by the upstream layer).
    public var noProxy: String

    public init(httpProxy: EgressProxyURL? = nil, httpsProxy: EgressProxyURL? = nil, noProxy: String = "") {
        self.httpProxy = httpProxy
        self.httpsProxy = httpsProxy
        self.noProxy = noProxy
    }

    /// Reads the variables from `environment` (name → value).
    /// - Throws: ``ConfigurationError`` naming the variable whose value is not a usable proxy URL.
    public static func read(_ environment: [String: String]) throws -> EgressEnvironment {
        func value(_ name: String) -> (name: String, value: String)? {
            for candidate in [name.uppercased(), name.lowercased()] {
                if let value = environment[candidate], !value.isEmpty { return (candidate, value) }
            }
            return nil
        }
        var result = EgressEnvironment()
        if let (name, text) = value("https_proxy") { result.httpsProxy = try EgressProxyURL.parse(text, key: name) }
        if let (name, text) = value("http_proxy") { result.httpProxy = try EgressProxyURL.parse(text, key: name) }
        result.noProxy = value("no_proxy")?.value ?? ""
        return result
    }
}
