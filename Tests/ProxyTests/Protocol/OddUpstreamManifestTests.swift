import Foundation
import Testing

/// Upstreams that bend the protocol (issue 4 item 8.9), from the fake upstream: whatever the
/// upstream's framing, encoding, ETag or digest field, the client gets the identity bytes with
/// their true digest and length; bytes that do not match a requested digest, and manifests over
/// 4 MiB, are refused and nothing is cached.
@Suite struct OddUpstreamManifestTests {
    private static let repository = "odd/app"
    private static let tagPath = "/v2/\(repository)/manifests/v1"

    /// An OCI manifest of exactly `byteCount` bytes (padded inside an annotation).
    private static func manifestBytes(byteCount: Int = 600) -> [UInt8] {
        let head = #"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[],"annotations":{"pad":""#
        let tail = #""}}"#
        let padding = byteCount - head.utf8.count - tail.utf8.count
        precondition(padding >= 0, "manifest too small for its frame")
        return Array(head.utf8) + Array(repeating: UInt8(ascii: "p"), count: padding) + Array(tail.utf8)
    }

    private static func start(_ bytes: [UInt8]) async throws -> (upstream: FakeUpstream, cistern: CisternInstance, digest: String) {
        let upstream = try FakeUpstream()
        // Off the pool: the fake hashes the bytes, which takes a while for 4 MiB in a debug build.
        let digest = try await OffPool.run {
            upstream.addManifest(repository: repository, tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        return (upstream, cistern, digest)
    }

    /// Whether the cache holds a manifest file for `digest`.
    private static func isCached(_ digest: String, in cistern: CisternInstance) -> Bool {
        let hex = digest.dropFirst("sha256:".count)
        let path = cistern.cacheDirectory.appendingPathComponent("manifests/sha256/\(hex.prefix(2))/\(hex)").path
        return FileManager.default.fileExists(atPath: path)
    }

    /// GETs then HEADs `target` through Cistern and checks both against the identity bytes.
    private static func expectIdentity(_ cistern: CisternInstance, _ target: String, bytes: [UInt8], digest: String,
                                       _ label: String) async throws {
        for method in ["GET", "HEAD"] {
            let response = try await OffPool.fetch(port: cistern.port, method: method, target)
            #expect(response.statusCode == 200, "\(label) \(method)")
            #expect(response.header("Docker-Content-Digest") == digest, "\(label) \(method)")
            #expect(response.header("ETag") == "\"\(digest)\"", "\(label) \(method)")
            #expect(response.header("Content-Length") == String(bytes.count), "\(label) \(method)")
            #expect(response.header("Content-Encoding") == nil, "\(label) \(method)")
            #expect(response.header("Content-Type") == FixtureMediaType.ociManifest, "\(label) \(method)")
            #expect(response.body == (method == "GET" ? bytes : []), "\(label) \(method)")
        }
    }

    @Test(arguments: [
        ("an ETag that is not a digest", FakeUpstream.Behaviour.etag("\"opaque-version-7\"")),
        ("no Docker-Content-Digest", .omitDigestHeader),
        ("a chunked body", .chunked(chunkByteCount: 97)),
    ])
    func theClientGetsTheIdentityBytesWithTheirDigestDespite(_ label: String, _ behaviour: FakeUpstream.Behaviour) async throws {
        let bytes = Self.manifestBytes()
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        upstream.setBehaviour(behaviour)
        // By tag: the HEAD names a digest not cached yet, so the GET goes to the odd upstream.
        try await Self.expectIdentity(cistern, Self.tagPath, bytes: bytes, digest: digest, "\(label), by tag")
        #expect(upstream.requestCount(method: "GET", path: Self.tagPath) == 1)
        cistern.server.shared.ioPool.waitUntilIdle()  // the manifest's commit, after its answer
        #expect(Self.isCached(digest, in: cistern))
        // By digest, through an empty cache (the first one holds it now): fetched from it too.
        let digestPath = "/v2/\(Self.repository)/manifests/\(digest)"
        let second = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { second.stop() }
        try await Self.expectIdentity(second, digestPath, bytes: bytes, digest: digest, "\(label), by digest")
        #expect(upstream.requestCount(method: "GET", path: digestPath) == 1)
        second.server.shared.ioPool.waitUntilIdle()
        #expect(Self.isCached(digest, in: second))
    }

    @Test func aGzipEncodedManifestReachesTheClientAsItsIdentityBytes() async throws {
        let bytes = Self.manifestBytes()
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        let compressed = try #require(try await OffPool.run { FakeUpstream.runGzip(bytes) })
        #expect(compressed.count < bytes.count)
        // Sent whatever Accept-Encoding said, as some misconfigured front ends do.
        upstream.setBehaviour(.status(200, headers: [
            TestHeaderField("Content-Type", FixtureMediaType.ociManifest),
            TestHeaderField("Content-Encoding", "gzip"),
            TestHeaderField("Docker-Content-Digest", digest),
        ], body: compressed), for: .route(.manifest), method: "GET")
        try await Self.expectIdentity(cistern, Self.tagPath, bytes: bytes, digest: digest, "gzip")
        cistern.server.shared.ioPool.waitUntilIdle()  // the manifest's commit, after its answer
        #expect(Self.isCached(digest, in: cistern))
    }

    @Test func aManifestWhoseBytesDoNotMatchTheRequestedDigestIsRefusedWith502AndNotCached() async throws {
        let bytes = Self.manifestBytes()
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        let target = "/v2/\(Self.repository)/manifests/\(digest)"
        let wrong = upstream.setBehaviour(.wrongBytes(), for: .digest(digest))
        for attempt in 1...2 {
            let response = try await OffPool.fetch(port: cistern.port, target)
            #expect(response.statusCode == 502, "attempt \(attempt)")
            #expect(OCIErrorDocument(response.body)?.codes == ["UPSTREAM_ERROR"], "attempt \(attempt): \(response.bodyText)")
            #expect(!Self.isCached(digest, in: cistern), "attempt \(attempt)")
        }
        // Nothing was cached, so each attempt went upstream; once it behaves, the real bytes.
        #expect(upstream.requestCount(method: "GET", path: target) == 2)
        upstream.removeBehaviour(wrong)
        try await Self.expectIdentity(cistern, target, bytes: bytes, digest: digest, "after the fault")
    }

    /// Answers a tag GET can get that are not that tag's manifest, with what must catch them.
    static let unusableTagAnswers: [(String, FakeUpstream.Behaviour, String)] = [
        ("an HTML page with 200", .htmlErrorPage, "is not a manifest type"),
        ("other bytes under the tag's Docker-Content-Digest", .wrongBytes(replacement: manifestBytes(byteCount: 700)),
         "not to its Docker-Content-Digest"),
        ("a truncated manifest under its Docker-Content-Digest", .wrongBytes(replacement: Array(manifestBytes().prefix(300))),
         "not to its Docker-Content-Digest"),
        ("a boolean schemaVersion", .status(200, headers: [
            TestHeaderField("Content-Type", FixtureMediaType.ociManifest)], body: Array(#"{"schemaVersion":true}"#.utf8)),
         "is not a JSON manifest"),
        ("JSON without schemaVersion and no digest field", .status(200, headers: [
            TestHeaderField("Content-Type", FixtureMediaType.ociManifest)], body: Array(#"{"errors":[]}"#.utf8)),
         "is not a JSON manifest"),
    ]

    @Test(arguments: unusableTagAnswers)
    func aTagAnsweredWithSomethingElseGets502AndNothingIsCachedOrRemembered(
        _ label: String, _ behaviour: FakeUpstream.Behaviour, _ reason: String
    ) async throws {
        let bytes = Self.manifestBytes()
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        let fault = upstream.setBehaviour(behaviour, for: .route(.manifest), method: "GET")

        let response = try await OffPool.fetch(port: cistern.port, Self.tagPath)
        #expect(response.statusCode == 502, "\(label)")
        #expect(OCIErrorDocument(response.body)?.codes == ["UPSTREAM_ERROR"], "\(label): \(response.bodyText)")
        #expect(response.bodyText.contains(reason), "\(label): \(response.bodyText)")
        #expect(RegularFiles.under(cistern.cacheDirectory.appendingPathComponent("manifests")).isEmpty, "\(label): a manifest was cached")
        // No tag record either: once the upstream behaves, the next GET fetches the real one.
        upstream.removeBehaviour(fault)
        try await Self.expectIdentity(cistern, Self.tagPath, bytes: bytes, digest: digest, "\(label), after the fault")
    }

    /// A signed schema 1 manifest as distribution converts schema 2 to for old clients
    /// (docker/libtrust `PrettySignature`): the JWS is the canonical payload with a
    /// `signatures` member spliced in before its closing brace, and the protected header
    /// records how to take it out again (`formatLength`, `formatTail`). Returns the JWS and
    /// the digest distribution names it by: the payload's, not the JWS's.
    static func signedSchema1(tag: String) -> (jws: [UInt8], payloadDigest: String) {
        let payload = "{\n   \"schemaVersion\": 1,\n   \"name\": \"\(repository)\",\n   \"tag\": \"\(tag)\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [],\n   \"history\": []\n}"
        let tail = "\n}"
        let formatLength = payload.utf8.count - tail.utf8.count
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let protected = base64URL(#"{"formatLength":\#(formatLength),"formatTail":"\#(base64URL(tail))","time":"2026-11-29T00:00:00Z"}"#)
        let signatures = ",\n   \"signatures\": [\n      {\n         \"header\": {\"alg\": \"ES256\"},\n         \"signature\": \"c2ln\",\n         \"protected\": \"\(protected)\"\n      }\n   ]"
        let jws = String(payload.utf8.prefix(formatLength))! + signatures + tail
        return (Array(jws.utf8), TestSHA256.digest(Array(payload.utf8)))
    }

    @Test func aSignedSchema1ManifestNamedByItsPayloadDigestIsServedAndATamperedOneIsNot() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        let (jws, payloadDigest) = Self.signedSchema1(tag: "v1")
        #expect(TestSHA256.digest(jws) != payloadDigest)
        let headers = [TestHeaderField("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"),
                       TestHeaderField("Docker-Content-Digest", payloadDigest)]
        let accept = [("Accept", "application/vnd.docker.distribution.manifest.v1+prettyjws")]
        let fault = upstream.setBehaviour(.status(200, headers: headers, body: jws), for: .route(.manifest), method: "GET")
        let served = try await OffPool.fetch(port: cistern.port, Self.tagPath, headers: accept)
        #expect(served.statusCode == 200, "\(served.bodyText)")
        #expect(served.body == jws)
        // The client sees the upstream's name for it, the payload digest, not the JWS's hash
        // (which changes with every signature), and can fetch it by that digest from the cache.
        #expect(served.header("Docker-Content-Digest") == payloadDigest)
        let byDigest = try await OffPool.fetch(port: cistern.port, "/v2/\(Self.repository)/manifests/\(payloadDigest)", headers: accept)
        #expect(byDigest.statusCode == 200, "\(byDigest.bodyText)")
        #expect(byDigest.body == jws)
        #expect(byDigest.header("Docker-Content-Digest") == payloadDigest)
        #expect(upstream.requestCount(path: "/v2/\(Self.repository)/manifests/\(payloadDigest)") == 0)

        // The same JWS with its payload altered (and the header left): refused, not cached.
        upstream.removeBehaviour(fault)
        let tampered = Array(String(decoding: jws, as: UTF8.self).replacingOccurrences(of: "amd64", with: "arm64").utf8)
        upstream.setBehaviour(.status(200, headers: headers, body: tampered), for: .route(.manifest), method: "GET")
        let refused = try await OffPool.fetch(port: cistern.port, "/v2/\(Self.repository)/manifests/v2", headers: accept)
        #expect(refused.statusCode == 502)
        #expect(refused.bodyText.contains("not to its Docker-Content-Digest"), "\(refused.bodyText)")
    }

    @Test func aDigestFieldThatIsNoDigestIsRefused() async throws {
        let bytes = Self.manifestBytes()
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        let values = [digest.uppercased()]
        let headers = [TestHeaderField("Content-Type", FixtureMediaType.ociManifest)] + values.map { TestHeaderField("Docker-Content-Digest", $0) }
        upstream.setBehaviour(.status(200, headers: headers, body: bytes), for: .route(.manifest), method: "GET")
        let response = try await OffPool.fetch(port: cistern.port, Self.tagPath)
        #expect(response.statusCode == 502, "\(values)")
        #expect(response.bodyText.contains("is unusable"), "\(response.bodyText)")
    }

    @Test func aKnownTagIsServedStaleWhileTheUpstreamAnswersItWithAnHTMLPage() async throws {
        let bytes = Self.manifestBytes()
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: Self.repository, tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        // TTL 0: every request asks the upstream again.
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .zero }
        try await Self.expectIdentity(cistern, Self.tagPath, bytes: bytes, digest: digest, "warm")

        // A maintenance page for every GET, and a HEAD that names no digest.
        upstream.setBehaviour(.htmlErrorPage, for: .route(.manifest))
        let response = try await OffPool.fetch(port: cistern.port, Self.tagPath)
        #expect(response.statusCode == 200)
        #expect(response.body == bytes)
        #expect(response.header("Docker-Content-Digest") == digest)
    }

    @Test func aManifestOfExactly4MiBIsServedAndOneByteMoreIsRefusedAndNotCached() async throws {
        let limit = 4 * 1024 * 1024
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let fits = Self.manifestBytes(byteCount: limit)
        let tooLarge = Self.manifestBytes(byteCount: limit + 1)
        let digests = try await OffPool.run {
            [upstream.addManifest(repository: Self.repository, tag: "fits", bytes: fits, mediaType: FixtureMediaType.ociManifest),
             upstream.addManifest(repository: Self.repository, tag: "large", bytes: tooLarge, mediaType: FixtureMediaType.ociManifest)]
        }
        let (fitsDigest, tooLargeDigest) = (digests[0], digests[1])
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)

        try await Self.expectIdentity(cistern, "/v2/\(Self.repository)/manifests/fits", bytes: fits, digest: fitsDigest, "4 MiB")
        for reference in ["large", tooLargeDigest] {
            let response = try await OffPool.fetch(port: cistern.port, "/v2/\(Self.repository)/manifests/\(reference)")
            #expect(response.statusCode == 400, "\(reference)")
            #expect(OCIErrorDocument(response.body)?.codes == ["MANIFEST_INVALID"], "\(reference): \(response.bodyText)")
        }
        #expect(!Self.isCached(tooLargeDigest, in: cistern))
    }

    @Test func aGzipEncodedManifestThatInflatesToMoreThan4MiBIsRefusedAndNotCached() async throws {
        let limit = 4 * 1024 * 1024
        let bytes = Self.manifestBytes(byteCount: limit + 1)
        let (upstream, cistern, digest) = try await Self.start(bytes)
        defer { upstream.stop() }
        let compressed = try #require(try await OffPool.run { FakeUpstream.runGzip(bytes) })
        #expect(compressed.count < 64 * 1024, "highly compressible padding")
        upstream.setBehaviour(.status(200, headers: [
            TestHeaderField("Content-Type", FixtureMediaType.ociManifest),
            TestHeaderField("Content-Encoding", "gzip"),
            TestHeaderField("Docker-Content-Digest", digest),
        ], body: compressed), for: .route(.manifest), method: "GET")
        let response = try await OffPool.fetch(port: cistern.port, Self.tagPath)
        #expect(response.statusCode == 400)
        #expect(OCIErrorDocument(response.body)?.codes == ["MANIFEST_INVALID"], "\(response.bodyText)")
        #expect(!Self.isCached(digest, in: cistern))
    }
}
