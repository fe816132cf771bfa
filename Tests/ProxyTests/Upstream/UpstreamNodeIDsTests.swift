import Testing

@testable import ProxyUpstream

@Suite struct UpstreamNodeIDsTests {
    @Test func unknownUntilTheUpstreamAnswers() {
        let ids = UpstreamNodeIDs()
        #expect(!ids.hasAnswered)
        #expect(ids.loopingNode(inRequestVia: "1.1 mirror-b") == nil)
        // A registry that is no Cistern answers without a marked Via: known, with no ids.
        ids.learn(fromVia: ["1.1 varnish"])
        #expect(ids.hasAnswered)
        #expect(ids.loopingNode(inRequestVia: "1.1 varnish") == nil)
    }

    @Test func aRequestFromANodeBehindTheUpstreamIsALoop() {
        let ids = UpstreamNodeIDs()
        ids.learn(fromVia: ["1.1 mirror-b (cistern)"])
        ids.learn(fromVia: ["1.1 mirror-c (cistern)"])
        #expect(ids.loopingNode(inRequestVia: "1.1 edge-1, 1.1 Mirror-C") == "mirror-c")
        #expect(ids.loopingNode(inRequestVia: "1.1 edge-1") == nil)
    }

    @Test func keepsAtMostCapacityIDs() {
        let ids = UpstreamNodeIDs()
        ids.learn(fromVia: (0..<100).map { "1.1 node-\($0) (cistern)" })
        let named = (0..<100).filter { ids.loopingNode(inRequestVia: "1.1 node-\($0)") != nil }
        #expect(named.count == UpstreamNodeIDs.capacity)
    }
}
