import Glibc
import ProxyConfig
import ProxyUpstream

extension SharedServices {
    /// The proxy variables of this process's environment (`getenv`, read once at start-up).
    static func proxyEnvironment() -> [String: String] {
        var values: [String: String] = [:]
        for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"] {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }

    /// How an upstream configured with `setting` reaches its origins.
    static func egressRoute(_ setting: EgressProxySetting, environment: EgressEnvironment) -> EgressRoute {
        func proxy(_ url: EgressProxyURL) -> EgressProxy {
            EgressProxy(host: url.host, port: url.port, username: url.username, password: url.password)
        }
        switch setting {
        case .direct:
            return .direct
        case .proxy(let url):
            return .fixed(proxy(url))
        case .environment:
            guard environment.httpProxy != nil || environment.httpsProxy != nil else { return .direct }
            return .environment(http: environment.httpProxy.map(proxy), https: environment.httpsProxy.map(proxy),
                                noProxy: NoProxyList(environment.noProxy))
        }
    }
}
