import ProxyHTTP
import Testing
@testable import Proxy
@testable import ProxyLogging
@testable import ProxyMetrics

@Suite struct AccessLogLineTests {
    private func line(
        client: String = "192.0.2.7:51234", method: String = "GET",
        path: String = "/v2/library/alpine/manifests/3.19?ns=docker.io", status: Int = 200,
        bytesSent: Int = 1576, duration: Duration = .microseconds(12_345),
        outcome: CacheOutcome? = .hit, upstream: String? = "docker.io", requestID: RequestID = .generated(0x8F3A_61C2_D09B_4E57)
    ) -> String {
        AccessLogLine(
            clientAddress: client, method: method, path: path, status: status, bytesSent: bytesSent,
            duration: duration, cacheOutcome: outcome, upstreamName: upstream,
            endedAtUnixNanoseconds: 1_714_566_896_789_000_000, requestID: requestID
        ).text()
    }

    private let time = "2024-05-01T12:34:56.789Z"

    @Test func rendersFieldsInTheDocumentedOrder() {
        #expect(line() == "\(time) 192.0.2.7:51234 GET /v2/library/alpine/manifests/3.19?ns=docker.io 200 1576 12.345 hit docker.io 8f3a61c2d09b4e57")
    }

    @Test(arguments: CacheOutcome.allCases)
    func rendersEachCacheOutcomeByName(outcome: CacheOutcome) {
        #expect(line(outcome: outcome).split(separator: " ")[7] == Substring(outcome.rawValue))
    }

    @Test func missingOutcomeAndUpstreamRenderAsNoneAndDash() {
        #expect(line(status: 404, bytesSent: 0, outcome: nil, upstream: nil)
            == "\(time) 192.0.2.7:51234 GET /v2/library/alpine/manifests/3.19?ns=docker.io 404 0 12.345 none - 8f3a61c2d09b4e57")
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
        #expect(line(duration: duration).split(separator: " ")[6] == Substring(expected))
    }

    @Test func spacesAndControlBytesInFieldsAreEscapedSoTheLineCannotBeSplitOrForged() {
        let rendered = line(method: "GE T", path: "/v2/x\n127.0.0.1 GET /forged 200")
        #expect(rendered == "\(time) 192.0.2.7:51234 GE\\x20T /v2/x\\n127.0.0.1\\x20GET\\x20/forged\\x20200 200 1576 12.345 hit docker.io 8f3a61c2d09b4e57")
        #expect(rendered.split(separator: " ").count == 10)
    }

    @Test func credentialsInTheQueryAreRedactedAndRoutingParametersKept() {
        let rendered = line(path: "/v2/a/blobs/sha256:ab?ns=docker.io&access_token=SECRET1&X-Amz-Signature=SECRET2&n=5&jwt=SECRET3&pwd=SECRET4")
        #expect(rendered.split(separator: " ")[3]
            == "/v2/a/blobs/sha256:ab?ns=docker.io&access_token=REDACTED&X-Amz-Signature=REDACTED&n=5&jwt=REDACTED&pwd=REDACTED")
        #expect(!rendered.contains("SECRET"))
    }

    @Test func emptyFieldsRenderAsDash() {
        #expect(line(client: "", method: "", path: "") == "\(time) - - - 200 1576 12.345 hit docker.io 8f3a61c2d09b4e57")
    }

    @Test func aClientsRequestIDIsTheLastField() {
        #expect(line(requestID: .received("trace-7/x=1")).hasSuffix(" hit docker.io trace-7/x=1"))
    }
}
