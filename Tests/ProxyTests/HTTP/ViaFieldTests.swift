import ProxyHTTP
import Testing

/// `Via` (RFC 9110 section 7.6.3) as loop detection reads and writes it.
@Suite struct ViaFieldTests {
    @Test(arguments: [
        ("1.1 node-a", "node-a", true),
        ("1.1 NODE-A", "node-a", true),
        ("1.0 lb, 1.1 node-a", "node-a", true),
        ("1.0 lb,1.1 node-a (Cistern/1.0)", "node-a", true),
        ("HTTP/1.1 host.example:5000", "host.example:5000", true),
        ("1.1 node-ab", "node-a", false),
        ("1.1 node", "node-a", false),
        ("node-a", "node-a", false),  // a lone token is the protocol, not received-by
        ("1.1 lb (node-a)", "node-a", false),
        (", ,1.1 x", "node-a", false),
        ("", "node-a", false),
    ])
    func namesFindsReceivedByOnly(value: String, node: String, expected: Bool) {
        #expect(ViaField.names(value, receivedBy: node) == expected)
    }

    @Test func appendingAddsThisNodeAfterTheChain() {
        #expect(ViaField.appending(nil, receivedBy: "edge") == "1.1 edge")
        #expect(ViaField.appending("", receivedBy: "edge") == "1.1 edge")
        #expect(ViaField.appending("1.1 lb", receivedBy: "edge") == "1.1 lb, 1.1 edge")
    }

    @Test(arguments: [("node-1", true), ("host.example:5000", true), ("", false), ("a b", false), ("a,b", false),
                      ("a(b)", false), ("\"a\"", false), ("é", false), (String(repeating: "n", count: 256), false)])
    func receivedByValidity(nodeID: String, valid: Bool) {
        #expect(ViaField.isValidReceivedBy(nodeID) == valid)
    }

    @Test func responseValueCarriesTheCisternComment() {
        #expect(ViaField.responseValue(nodeID: "regional-1") == "1.1 regional-1 (cistern)")
    }

    /// Only entries marked `(cistern)` are node ids: a CDN's `1.1 varnish` or a bare entry is not.
    @Test(arguments: [
        ("1.1 regional-1 (cistern)", ["regional-1"]),
        ("1.1 varnish, 1.1 Edge-A (cistern), HTTP/1.1 b (cistern)", ["edge-a", "b"]),
        ("1.1 varnish", []),
        ("1.1 a, 1.1 b (other)", []),
        ("1.1 (cistern)", []),
        ("", []),
    ])
    func cisternNodesReadsOnlyMarkedEntries(value: String, expected: [String]) {
        #expect(ViaField.cisternNodes(in: value) == expected)
    }
}

