import Testing
@testable import Proxy

@Suite struct AccessLogLineTests {
    private func line(
        client: String = "192.0.2.7:51234", method: String = "GET",
        path: String = "/v2/library/alpine/manifests/3.19?ns=docker.io", status: Int = 200,
        bytesSent: Int = 1576, duration: Duration = .microseconds(12_345),
        outcome: CacheOutcome? = .hit, upstream: String? = "docker.io"
    ) -> String {
        AccessLogLine(
            clientAddress: client, method: method, path: path, status: status, bytesSent: bytesSent,
            duration: duration, cacheOutcome: outcome, upstreamName: upstream
        ).text
    }

    @Test func rendersFieldsInTheDocumentedOrder() {
        #expect(line() == "192.0.2.7:51234 GET /v2/library/alpine/manifests/3.19?ns=docker.io 200 1576 12.345 hit docker.io")
    }

    @Test(arguments: CacheOutcome.allCases)
    func rendersEachCacheOutcomeByName(outcome: CacheOutcome) {
        #expect(line(outcome: outcome).split(separator: " ")[6] == Substring(outcome.rawValue))
    }

    @Test func missingOutcomeAndUpstreamRenderAsNoneAndDash() {
        #expect(line(status: 404, bytesSent: 0, outcome: nil, upstream: nil)
            == "192.0.2.7:51234 GET /v2/library/alpine/manifests/3.19?ns=docker.io 404 0 12.345 none -")
    }

    @Test(arguments: [
        (Duration.zero, "0.000"),
        (.nanoseconds(1_234_567), "1.235"),
        (.nanoseconds(1_234_499), "1.234"),
        (.seconds(2), "2000.000"),
        (.milliseconds(61_005), "61005.000"),
        (.nanoseconds(999_999_600), "1000.000"),
    ])
    func durationIsMillisecondsWithThreeDecimals(duration: Duration, expected: String) {
        #expect(line(duration: duration).split(separator: " ")[5] == Substring(expected))
    }

    @Test func spacesAndControlBytesInFieldsAreEscapedSoTheLineCannotBeSplitOrForged() {
        let rendered = line(method: "GE T", path: "/v2/x\n127.0.0.1 GET /forged 200")
        #expect(rendered == "192.0.2.7:51234 GE\\x20T /v2/x\\n127.0.0.1\\x20GET\\x20/forged\\x20200 200 1576 12.345 hit docker.io")
        #expect(rendered.split(separator: " ").count == 8)
    }

    @Test func emptyFieldsRenderAsDash() {
        #expect(line(client: "", method: "", path: "") == "- - - 200 1576 12.345 hit docker.io")
    }
}
