import Foundation
import Testing
@testable import Proxy

/// Spending as little of the upstream's budget as possible (issue 15), against a fake
/// upstream that counts GETs and HEADs: tags are resolved with a HEAD first, a 429 is
/// remembered until its Retry-After ends, and the hourly manifest GET budget is kept.
@Suite(.serialized) struct UpstreamBudgetTests {
    private static let manifestBytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[]}"#.utf8)
    /// dockerd 20.10's distribution client: every manifest type it knows, one per line.
    private static let dockerd = AcceptVariant(label: "dockerd", lines: [
        FixtureMediaType.dockerManifest, FixtureMediaType.dockerManifestList, FixtureMediaType.ociManifest, FixtureMediaType.ociIndex,
        "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json",
    ])

    private static func manifestPath(_ reference: String) -> String { "/v2/team/app/manifests/\(reference)" }

    @Test func fourRealClientsAcceptSetsForOneTagCostOneGet() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: Self.manifestBytes, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        // skopeo sends podman's set (both are containers/image).
        for variant in [AcceptVariant.containerd, .podman, Self.dockerd, .podman] {
            let response = try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1"), headers: variant.headers)
            #expect(response.statusCode == 200, "\(variant.label)")
            #expect(response.body == Self.manifestBytes && response.header("Docker-Content-Digest") == digest, "\(variant.label)")
        }
        #expect(upstream.requestCount(method: "GET", path: Self.manifestPath("v1")) == 1)
        // One HEAD per distinct Accept set; the second podman request was a fresh hit.
        #expect(upstream.requestCount(method: "HEAD", path: Self.manifestPath("v1")) == 3)
        let metrics = try MetricsScrape(port: cistern.port)
        #expect(metrics.value(#"cistern_upstream_manifest_requests_total{upstream="127.0.0.1:\#(upstream.port)",method="GET",kind="tag"}"#) == 1)
        #expect(metrics.value(#"cistern_upstream_manifest_requests_total{upstream="127.0.0.1:\#(upstream.port)",method="HEAD",kind="tag"}"#) == 3)
    }

    @Test func a429IsRememberedUntilItsRetryAfterEndsAndKnownTagsAreServedStaleMeanwhile() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: Self.manifestBytes, mediaType: FixtureMediaType.ociManifest)
        let blobs = (0..<10).map { upstream.addBlob(PseudoRandomBytes.make(byteCount: 1000, seed: UInt64(1500 + $0))) }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .zero }
        defer { cistern.stop() }
        #expect(try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1")).statusCode == 200)
        let before = upstream.requests.count

        upstream.setBehaviour(.status(429, headers: [TestHeaderField("Retry-After", "3")]))
        // 30 requests inside the window: blobs, an unknown tag, and the known tag (revalidated
        // at every request with tag_ttl 0). The first asks; the other 29 ask nobody.
        var statuses: [Int] = []
        for index in 0..<30 {
            let target = index % 3 == 0 ? Self.manifestPath("v1") : index % 3 == 1 ? "/v2/team/app/blobs/\(blobs[index / 3])" : Self.manifestPath("v2")
            let response = try TestHTTPClient.fetch(port: cistern.port, target)
            statuses.append(response.statusCode ?? 0)
            if target == Self.manifestPath("v1") {
                #expect(response.statusCode == 200 && response.header("Docker-Content-Digest") == digest, "a known tag is served stale")
            } else {
                #expect(response.statusCode == 429)
                #expect((1...3).contains(Int(response.header("Retry-After") ?? "") ?? 0))
                #expect(OCIErrorDocument(response.body)?.codes == ["TOOMANYREQUESTS"])
            }
        }
        #expect(upstream.requests.count == before + 1, "30 requests in a 3 s Retry-After window reached the upstream \(upstream.requests.count - before) times")
        let metrics = try MetricsScrape(port: cistern.port)
        let label = #"upstream="127.0.0.1:\#(upstream.port)""#
        #expect(metrics.value("cistern_upstream_refused_total{\(label),reason=\"rate-limited\"}") == 29)
        #expect(metrics.value("cistern_upstream_stale_on_rate_limit_total{\(label)}") == 10)
        #expect((metrics.value("cistern_upstream_retry_after_seconds{\(label)}") ?? 0) > 0)

        // The window ends (the scenario needs the time to pass): the next request asks again.
        upstream.removeAllBehaviours()
        TestTime.sleep(.milliseconds(3_100))
        let after = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(blobs[9])")
        #expect(after.statusCode == 200)
        #expect(upstream.requests.count == before + 2)
    }

    @Test func a429WithoutRetryAfterBacksOffOneSecondFirst() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = upstream.addBlob(PseudoRandomBytes.make(byteCount: 1000, seed: 1600))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        upstream.setBehaviour(.status(429))
        let first = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(blob)")
        #expect(first.statusCode == 429)
        let second = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(blob)")
        #expect(second.statusCode == 429 && second.header("Retry-After") == "1")
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/app/blobs/\(blob)") == 1)
    }

    @Test func theHourlyManifestBudgetIsKeptWithHeadsFreeAndStaleAnswersPastIt() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        for tag in ["v1", "v2", "v3"] {
            let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[],"annotations":{"t":"\#(tag)"}}"#.utf8)
            upstream.addManifest(repository: "team/app", tag: tag, bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.tagTTL = .zero
            $0.upstreams[0].maxManifestGetsPerHour = 2
        }
        defer { cistern.stop() }
        #expect(try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1")).statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v2")).statusCode == 200)
        let refused = try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v3"))
        #expect(refused.statusCode == 429)
        #expect((3500...3600).contains(Int(refused.header("Retry-After") ?? "") ?? 0))
        #expect(upstream.requestCount(method: "GET", path: Self.manifestPath("v3")) == 0)
        // A known tag is revalidated with a HEAD, which the budget does not count.
        #expect(try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1")).statusCode == 200)
        #expect(upstream.requestCount(method: "HEAD", path: Self.manifestPath("v1")) == 2)
        #expect(upstream.requests.filter { $0.method == "GET" }.count == 2)
    }

    @Test func theUpstreamsRateLimitFieldsArePassedOnAndShown() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: Self.manifestBytes, mediaType: FixtureMediaType.ociManifest)
        upstream.setBehaviour(.status(200, headers: [
            TestHeaderField("Content-Type", FixtureMediaType.ociManifest), TestHeaderField("Docker-Content-Digest", digest),
            TestHeaderField("RateLimit-Limit", "100;w=21600"), TestHeaderField("RateLimit-Remaining", "76;w=21600"),
        ], body: Self.manifestBytes), for: .path(Self.manifestPath("v1")))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let response = try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1"))
        #expect(response.statusCode == 200 && response.body == Self.manifestBytes)
        #expect(response.header("RateLimit-Limit") == "100;w=21600")
        #expect(response.header("RateLimit-Remaining") == "76;w=21600")
        let metrics = try MetricsScrape(port: cistern.port)
        #expect(metrics.value(#"cistern_upstream_ratelimit_remaining{upstream="127.0.0.1:\#(upstream.port)"}"#) == 76)
        #expect(metrics.value(#"cistern_upstream_ratelimit_limit{upstream="127.0.0.1:\#(upstream.port)"}"#) == 100)
    }

    @Test func anUpstreamThatRefusesHeadForManifestsIsAskedWithAGet() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: Self.manifestBytes, mediaType: FixtureMediaType.ociManifest)
        upstream.setBehaviour(.status(405), for: .path(Self.manifestPath("v1")), method: "HEAD")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let response = try TestHTTPClient.fetch(port: cistern.port, Self.manifestPath("v1"))
        #expect(response.statusCode == 200 && response.header("Docker-Content-Digest") == digest)
        #expect(upstream.requestCount(method: "GET", path: Self.manifestPath("v1")) == 1)
    }
}
