import Foundation
import Testing

/// Validators and caching directives on manifest responses (issue 4 item 8.6): the ETag is the
/// quoted digest, `If-None-Match` naming it gets 304 with the ETag and no body (RFC 9110
/// sections 13.1.2 and 15.4.5); by-digest answers are `immutable`, by-tag answers carry
/// `max-age=N` with N no more than the tag TTL (RFC 9111 section 5.2.2).
@Suite struct ConditionalManifestTests {
    private static let repository = "cond/app"
    private static let tagTTLSeconds = 30

    /// A tag TTL no test outlives, for tests whose point is that answers come from the cache:
    /// with the short TTL, a slow run (sanitizers, a busy machine) would revalidate midway.
    private static let longTagTTLSeconds = 3600

    private static func fixture(tagTTLSeconds: Int = tagTTLSeconds) throws -> (upstream: FakeUpstream, cistern: CisternInstance, bytes: [UInt8], digest: String) {
        let upstream = try FakeUpstream()
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[]}"#.utf8)
        let digest = upstream.addManifest(repository: repository, tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .seconds(tagTTLSeconds) }
        return (upstream, cistern, bytes, digest)
    }

    /// N of a `max-age=N` Cache-Control value, nil for anything else.
    private static func maxAgeSeconds(_ cacheControl: String?) -> Int? {
        guard let cacheControl, cacheControl.hasPrefix("max-age=") else { return nil }
        return Int(cacheControl.dropFirst("max-age=".count))
    }

    @Test func ifNoneMatchNamingTheDigestGets304WithTheETagAndNoBodyByTagAndByDigest() async throws {
        let (upstream, cistern, _, digest) = try Self.fixture(tagTTLSeconds: Self.longTagTTLSeconds)
        defer { upstream.stop() }
        let base = "/v2/\(Self.repository)/manifests"
        #expect(try await OffPool.fetch(port: cistern.port, "\(base)/v1").statusCode == 200)

        let matching = ["\"\(digest)\"", "W/\"\(digest)\"", "\"sha256:\(String(repeating: "0", count: 64))\", \"\(digest)\"", "*"]
        for reference in ["v1", digest] {
            for method in ["GET", "HEAD"] {
                for ifNoneMatch in matching {
                    let response = try await OffPool.fetch(
                        port: cistern.port, method: method, "\(base)/\(reference)", headers: [("If-None-Match", ifNoneMatch)])
                    let label = "\(method) \(reference) If-None-Match: \(ifNoneMatch)"
                    #expect(response.statusCode == 304, "\(label)")
                    #expect(response.header("ETag") == "\"\(digest)\"", "\(label)")
                    #expect(response.header("Docker-Content-Digest") == digest, "\(label)")
                    #expect(response.body.isEmpty && response.framing == TestHTTPResponse.Framing.none && response.isComplete, "\(label)")
                }
            }
        }
        // The conditional requests were answered from the cache: the first request's HEAD and
        // GET were all the upstream saw.
        #expect(upstream.requestCount(method: "GET", path: "\(base)/v1") == 1)
        #expect(upstream.requestCount(method: "HEAD", path: "\(base)/v1") == 1)
        #expect(upstream.requestCount(path: "\(base)/\(digest)") == 0)
    }

    @Test func ifNoneMatchNamingAnotherDigestGetsTheWholeManifest() async throws {
        let (upstream, cistern, bytes, digest) = try Self.fixture()
        defer { upstream.stop() }
        let other = "\"sha256:\(String(repeating: "1", count: 64))\""
        for ifNoneMatch in [other, "\"\(digest.dropLast())\"", "\(digest)x"] {
            let response = try await OffPool.fetch(
                port: cistern.port, "/v2/\(Self.repository)/manifests/v1", headers: [("If-None-Match", ifNoneMatch)])
            #expect(response.statusCode == 200, "\(ifNoneMatch)")
            #expect(response.body == bytes, "\(ifNoneMatch)")
            #expect(response.header("ETag") == "\"\(digest)\"", "\(ifNoneMatch)")
        }
    }

    @Test func byDigestAnswersAreImmutableAndByTagAnswersCarryMaxAgeWithinTheTagTTL() async throws {
        let (upstream, cistern, _, digest) = try Self.fixture()
        defer { upstream.stop() }
        let base = "/v2/\(Self.repository)/manifests"
        let beforeFirstFetch = ContinuousClock.now
        for (round, method) in ["GET", "HEAD", "GET"].enumerated() {
            // Round 0 is a miss (fetched now), the others are cache hits.
            let tag = try await OffPool.fetch(port: cistern.port, method: method, "\(base)/v1")
            let maxAge = try #require(Self.maxAgeSeconds(tag.header("Cache-Control")), "round \(round): \(tag.header("Cache-Control") ?? "none")")
            #expect(maxAge <= Self.tagTTLSeconds, "round \(round)")
            // The tag was confirmed after `beforeFirstFetch`: what remains of
            // its freshness is at least the TTL minus the time since (rounded down).
            let elapsed = Int((ContinuousClock.now - beforeFirstFetch).components.seconds) + 1
            #expect(maxAge >= Self.tagTTLSeconds - elapsed, "round \(round): the tag was confirmed \(elapsed) s ago at most")
            let byDigest = try await OffPool.fetch(port: cistern.port, method: method, "\(base)/\(digest)")
            let directives = (byDigest.header("Cache-Control") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(directives.contains("immutable"), "round \(round): \(directives)")
            #expect(!directives.contains { $0.hasPrefix("max-age=0") || $0 == "no-cache" || $0 == "no-store" }, "round \(round)")
        }
    }
}
