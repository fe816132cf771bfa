import Testing
@testable import ProxyConfig
import ProxyRegistry
@testable import ProxyUpstream

/// The fleet and tier settings (issue 18): `node_id`, `trusted_proxies`, an upstream's `ns` and
/// `forward_client_address`; bad values are refused at start-up naming the key.
@Suite struct FleetConfigurationTests {
    @Test func fleetKeysAreReadAndPrintedBack() throws {
        let configuration = try Configuration.load(yaml: """
            node_id: regional-1
            trusted_proxies: [127.0.0.1, 10.0.0.0/8, "fd00::/8"]
            upstreams:
              - url: http://regional.example:5000
                ns: docker.io
                forward_client_address: false
            """)
        #expect(configuration.nodeID == "regional-1")
        #expect(configuration.trustedProxies.map(\.description) == ["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
        #expect(configuration.upstreams[0].namespace == "docker.io")
        #expect(configuration.upstreams[0].forwardClientAddress == false)
        #expect(try Configuration.load(yaml: configuration.yamlText) == configuration)
        #expect(configuration.resolvedNodeID(boundPort: 1) == "regional-1")
        #expect(Configuration().resolvedNodeID(boundPort: 5123).hasSuffix(":5123"))
        #expect(Configuration().upstreams[0].forwardClientAddress)
        #expect(try Configuration.load(yaml: "node_id: a").reloadChanges(to: Configuration.load(yaml: "node_id: b")).map(\.key) == ["node_id"])
    }

    @Test(arguments: [
        ("node_id: \"a b\"", "node_id"),
        ("node_id: \"a,b\"", "node_id"),
        ("trusted_proxies: 127.0.0.1", "trusted_proxies"),
        ("trusted_proxies: [127.0.0.1, nonsense]", "trusted_proxies[1]"),
        ("trusted_proxies: [10.0.0.0/33]", "trusted_proxies[0]"),
        ("upstreams: [{url: http://a.example, ns: \"x/y\"}]", "upstreams[0].ns"),
        ("upstreams: [{url: http://a.example, forward_client_address: maybe}]", "upstreams[0].forward_client_address"),
    ])
    func badFleetValuesNameTheirKey(yaml: String, key: String) {
        do {
            _ = try Configuration.load(yaml: yaml)
            Issue.record("accepted \(yaml)")
        } catch let error as ConfigurationError {
            #expect("\(error)".contains(key), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1", true), ("127.0.0.0/8", "127.9.8.7", true), ("127.0.0.0/8", "128.0.0.1", false),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("0.0.0.0/0", "192.0.2.1", true), ("fd00::/8", "fd12::1", true),
        ("fd00::/8", "fe80::1", false), ("::1", "::1", true), ("::1", "127.0.0.1", false), ("192.0.2.0/25", "192.0.2.200", false),
        ("192.0.2.0/25", "not-an-address", false),
    ])
    func addressRangesMatchByPrefix(range: String, address: String, expected: Bool) throws {
        #expect(try AddressRange(parsing: range, key: "k").contains(address) == expected)
    }

    @Test func an508FromTheUpstreamIsLoopDetectedAndNeverStale() {
        let failure = UpstreamFailure.status(UpstreamResponseHead(status: 508, fields: [], contentLength: nil), upstream: "b", notFound: .blobUnknown(try! Digest(parsing: "sha256:" + String(repeating: "a", count: 64))))
        #expect(failure.error.status == 508)
        #expect(failure.error.code == .loopDetected)
        #expect(!failure.allowsStale)
    }
}
