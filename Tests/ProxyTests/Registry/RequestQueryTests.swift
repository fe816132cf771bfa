import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct RequestQueryTests {
    struct Expected: Sendable {
        var ns: String? = nil
        var n: Int? = nil
        var last: String? = nil
        var artifactType: String? = nil
    }

    static let decodings: [(String, Expected)] = [
        ("", Expected()),
        ("ns=docker.io", Expected(ns: "docker.io")),
        ("n=0", Expected(n: 0)),
        ("n=100&last=v1%2E2", Expected(n: 100, last: "v1.2")),
        ("artifactType=application%2Fvnd.example%2Bjson", Expected(artifactType: "application/vnd.example+json")),
        ("artifactType=application/vnd.example+json", Expected(artifactType: "application/vnd.example+json")),
        ("&&ns=x&", Expected(ns: "x")),
        ("ns=", Expected(ns: "")),
        ("ns", Expected(ns: "")),
        ("%6Es=ghcr.io", Expected(ns: "ghcr.io")),
        ("NS=docker.io", Expected()),
        ("flag&other=1&n=5", Expected(n: 5)),
        ("last=%C3%A9t%C3%A9", Expected(last: "été")),
        ("last=%C2%A0", Expected(last: "\u{A0}")),  // first scalar past the C1 controls
        ("ns=registry-1.docker.io:443", Expected(ns: "registry-1.docker.io:443")),
    ]

    @Test(arguments: decodings)
    func decodesTheKnownParameters(raw: String, expected: Expected) throws {
        let query = try RequestQuery(raw: raw.utf8)
        #expect(query.raw == raw)
        #expect(query.ns == expected.ns)
        #expect(query.n == expected.n)
        #expect(query.last == expected.last)
        #expect(query.artifactType == expected.artifactType)
    }

    static let invalid: [String] = [
        "ns=%", "ns=%4", "ns=%g0", "ns=%0g", "%=x", "ns=%FF", "ns=%C3", "ns=%0A", "ns=%7F", "ns=%00",
        // C1 controls (U+0080-U+009F) are control characters too, though each byte is not.
        "ns=%C2%80", "last=%C2%9F", "artifactType=a%C2%85b",
        "ns=a b", "ns=a\tb", "ns=a#b", "ns=\u{7F}", "ns=é",
        "n=", "n", "n=1.5", "n=-1", "n=+1", "n=0x10", "n=99999999999999999999", "n=1e3",
        // Two `ns`: which upstream is meant would be ambiguous (even when they agree).
        "ns=a&ns=b", "ns=a&ns=a", "ns=a&n=1&%6Es=b", "ns&ns=b",
    ]

    @Test(arguments: invalid)
    func rejectsMalformedQueriesWithUnsupported400(raw: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try RequestQuery(raw: raw.utf8) }
        #expect(error?.code == .unsupported)
        #expect(error?.status == 400)
    }

    @Test func unknownParametersAreDecodedOnRequest() throws {
        let query = try RequestQuery(raw: "foo=b%20r&foo=second&bare".utf8)
        #expect(query.value(named: "foo") == "b r")
        #expect(query.value(named: "bare") == "")
        #expect(query.value(named: "missing") == nil)
    }

    static let upstreamForm: [(String, String)] = [
        ("", ""),
        ("ns=docker.io", ""),
        ("n=10&ns=docker.io&next_page=pg1.abc%3D", "n=10&next_page=pg1.abc%3D"),
        ("ns=x&last=b&n=2", "last=b&n=2"),
        ("%6Es=x&NS=y&&flag", "NS=y&flag"),
        ("n=1&last=%C3%A9", "n=1&last=%C3%A9"),
        // A plus is a plus in what Cistern reads, and untouched in what it does not.
        ("artifactType=application/vnd.a+json&next_page=x+y%2B", "artifactType=application/vnd.a%2Bjson&next_page=x+y%2B"),
    ]

    @Test(arguments: upstreamForm)
    func upstreamFormDropsNsAndKeepsEveryOtherPairAsReceived(raw: String, expected: String) throws {
        #expect(try RequestQuery(raw: raw.utf8).upstreamForm == expected)
    }

    @Test func emptyQueryHasNoParameters() {
        #expect(RequestQuery.empty.raw == "")
        #expect(RequestQuery.empty.ns == nil)
        #expect(RequestQuery.empty.n == nil)
    }
}
