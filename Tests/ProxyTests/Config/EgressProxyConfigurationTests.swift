import Testing
@testable import ProxyConfig

/// `proxy:` per upstream, `--upstream-proxy`, and the environment's proxy variables: parsed at
/// start-up, and a bad value names its key, flag or variable.
struct EgressProxyConfigurationTests {
    @Test func proxyURLsParseWithCredentialsAndDefaults() throws {
        #expect(try EgressProxyURL.parse("http://proxy.example:3128", key: "k") == EgressProxyURL(host: "proxy.example", port: 3128))
        #expect(try EgressProxyURL.parse("proxy.example:8080", key: "k") == EgressProxyURL(host: "proxy.example", port: 8080))
        #expect(try EgressProxyURL.parse("http://Proxy.Example/", key: "k") == EgressProxyURL(host: "proxy.example", port: 80))
        #expect(try EgressProxyURL.parse("http://u%40corp:p%3Aw@[2001:db8::1]:3128", key: "k")
                == EgressProxyURL(host: "2001:db8::1", port: 3128, username: "u@corp", password: "p:w"))
    }

    @Test func badProxiesNameTheirKeyAndHideThePassword() {
        for text in ["https://proxy.example:3128", "socks5://proxy.example:1080", "http://proxy.example:0", "http://proxy.example/path", "http://"] {
            do {
                _ = try EgressProxyURL.parse(text, key: "upstreams[0].proxy")
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".contains("upstreams[0].proxy"), "\(error)")
            }
        }
        do {
            _ = try EgressProxyURL.parse("https://user:secret@proxy.example", key: "HTTPS_PROXY")
            Issue.record("an https proxy was accepted")
        } catch {
            #expect("\(error)".contains("HTTPS_PROXY") && !"\(error)".contains("secret"), "\(error)")
        }
    }

    @Test func yamlAndFlagSetAnUpstreamsProxy() throws {
        let configuration = try Configuration.load(yaml: """
            upstreams:
              - url: https://registry-1.docker.io
                proxy: http://proxy.example:3128
              - url: http://mirror.internal:5000
                proxy: direct
            """)
        #expect(configuration.upstreams[0].proxy == .proxy(EgressProxyURL(host: "proxy.example", port: 3128)))
        #expect(configuration.upstreams[1].proxy == .direct)
        #expect(configuration.yamlText.contains("proxy: \"http://proxy.example:3128\"") || configuration.yamlText.contains("proxy: http://proxy.example:3128"))
        var overrides = ConfigurationOverrides()
        overrides.upstreamProxy = "ftp://nope"
        do {
            _ = try overrides.applied(to: .embeddedDefault)
            Issue.record("a bad --upstream-proxy was accepted")
        } catch {
            #expect("\(error)".contains("--upstream-proxy"))
        }
        overrides.upstreamProxy = "http://proxy.example:3128"
        #expect(try overrides.applied(to: .embeddedDefault).upstreams[0].proxy == .proxy(EgressProxyURL(host: "proxy.example", port: 3128)))
    }

    @Test func theEnvironmentIsReadUpperCaseFirst() throws {
        let environment = try EgressEnvironment.read([
            "HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128", "http_proxy": "lower:8080", "no_proxy": ".internal",
        ])
        #expect(environment.httpsProxy?.host == "upper")
        #expect(environment.httpProxy == EgressProxyURL(host: "lower", port: 8080))
        #expect(environment.noProxy == ".internal")
        do {
            _ = try EgressEnvironment.read(["https_proxy": "socks5://x:1"])
            Issue.record("a socks proxy was accepted")
        } catch {
            #expect("\(error)".contains("https_proxy"))
        }
    }
}
