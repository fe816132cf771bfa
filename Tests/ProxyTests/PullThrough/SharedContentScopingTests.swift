import Foundation
import Testing

/// Ways content shared between repositories and upstream names (issue 10 item 1) can reach a
/// client the upstream would refuse, or be refused to a client the upstream would serve.
/// Each test here failed against the merge of issue 10 (found by a breaker session).
@Suite struct SharedContentScopingTests {
    /// A signed schema 1 manifest is named by the digest of its JWS payload, which its own
    /// protected header describes (`formatLength`, `formatTail`) and nobody checks. Bytes that
    /// are not manifest D can therefore be accepted as D from one upstream (a hostile registry
    /// configured under another name, or anyone on the path of a plain-HTTP upstream), and the
    /// content-addressed store then serves them for D to clients of every other upstream once
    /// their upstream confirms D with a HEAD. Expected: a client of `good` gets the bytes
    /// `good` holds for D, or an error — never another upstream's different bytes.
    @Test func aSchema1LookalikeFromOneUpstreamIsNeverServedAsAnotherUpstreamsManifest() throws {
        let good = try FakeUpstream()
        defer { good.stop() }
        let other = try FakeUpstream()
        defer { other.stop() }
        let config = good.addBlob(Array(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        let manifest = Array("""
            {"schemaVersion":2,"mediaType":"\(FixtureMediaType.ociManifest)","config":{"mediaType":"\(FixtureMediaType.ociConfig)",\
            "digest":"\(config)","size":36},"layers":[]}
            """.utf8)
        let digest = good.addManifest(repository: "team/app", tag: "v1", bytes: manifest, mediaType: FixtureMediaType.ociManifest)
        // The other upstream answers D with a "signed schema 1" document whose payload is the
        // first byte of the real manifest plus a formatTail holding the rest: its payload hashes
        // to D, its visible content (fsLayers) is something else.
        let lookalike = try Self.schema1Lookalike(payload: manifest)
        #expect(other.addManifest(repository: "x/y", tag: nil, bytes: manifest, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws") == digest)
        other.setBehaviour(.wrongBytes(replacement: lookalike), for: .digest(digest))
        let cistern = try CisternInstance(upstreams: [("good", good.baseURL), ("other", other.baseURL)])
        defer { cistern.stop() }

        _ = try TestHTTPClient.fetch(port: cistern.port, "/v2/x/y/manifests/\(digest)?ns=other")
        let answer = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/manifests/\(digest)?ns=good",
                                              headers: [("Accept", FixtureMediaType.ociManifest)])
        #expect(answer.statusCode == 200)
        #expect(TestSHA256.digest(answer.body) == digest, "served for good: \(answer.bodyText.prefix(120))")
        #expect(answer.header("Content-Type") == FixtureMediaType.ociManifest)
    }

    /// A foreign (non-distributable) layer is the one reference a registry does not check when
    /// it accepts a manifest (distribution skips descriptors with `urls`): anyone who can push
    /// to a repository can name any digest there. Linking it to the repository makes a blob
    /// cached through another repository (a private one, fetched with the mirror's credential)
    /// a hit for the pusher's repository, which the upstream answers 404 for.
    @Test func aForeignLayerNamedByAManifestIsNotLinkedToItsRepository() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let layer = upstream.addBlob(Array(repeating: UInt8(ascii: "S"), count: 12_000))
        let config = upstream.addBlob(Array(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        let manifest = Array("""
            {"schemaVersion":2,"mediaType":"\(FixtureMediaType.dockerManifest)","config":{"mediaType":"\(FixtureMediaType.dockerConfig)",\
            "digest":"\(config)","size":36},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",\
            "digest":"\(layer)","size":12000,"urls":["https://example.invalid/layer"]}]}
            """.utf8)
        upstream.addManifest(repository: "evil/x", tag: "v1", bytes: manifest, mediaType: FixtureMediaType.dockerManifest)
        // The upstream holds the layer in private/y only.
        upstream.setBehaviour(.status(404, body: FakeUpstream.errorBody(code: "BLOB_UNKNOWN", message: "blob unknown")),
                              for: .pathPrefix("/v2/evil/x/blobs/\(layer)"))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        #expect(TestSHA256.digest(try TestHTTPClient.fetch(port: cistern.port, "/v2/private/y/blobs/\(layer)").body) == layer)
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/v2/evil/x/manifests/v1",
                                         headers: [("Accept", FixtureMediaType.dockerManifest)]).statusCode == 200)
        let refused = try TestHTTPClient.fetch(port: cistern.port, "/v2/evil/x/blobs/\(layer)")
        #expect(refused.statusCode == 404)
        #expect(TestSHA256.digest(refused.body) != layer, "the blob the upstream refuses here")
    }

    /// A client of a repository that holds a blob joins a fill another repository started;
    /// the upstream refuses that repository (404), and the refusal reached the client that
    /// the upstream had just confirmed (HEAD 200). Anyone can so fail a cold pull by asking
    /// for its layer through a wrong repository at the same moment. Expected: the confirmed
    /// client gets the blob.
    @Test func aRefusedFillOfAnotherRepositoryDoesNotFailAConfirmedClient() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 300_000, seed: 1010)
        let digest = upstream.addBlob(blob)
        let refusedPath = "/v2/team/b/blobs/\(digest)"
        upstream.setBehaviour(.delayBeforeHeaders(.seconds(2)), for: .path(refusedPath), method: "GET")
        upstream.setBehaviour(.status(404, body: FakeUpstream.errorBody(code: "BLOB_UNKNOWN", message: "blob unknown")),
                              for: .path(refusedPath))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let port = cistern.port

        let refused = Locked<TestHTTPResponse?>(nil)
        let other = TestThread.start {
            let response = try? TestHTTPClient.fetch(port: port, refusedPath)
            refused.withLock { $0 = response }
        }
        // Bounded wait until b's fill has sent its GET upstream (it is answered 2 s later).
        let deadline = ContinuousClock.now + .seconds(5)
        while upstream.requestCount(method: "GET", path: refusedPath) == 0, ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(10))
        }
        #expect(upstream.requestCount(method: "GET", path: refusedPath) == 1)
        let confirmed = try TestHTTPClient.fetch(port: port, "/v2/team/a/blobs/\(digest)", options: .init(timeout: .seconds(15)))
        other.join()
        #expect(refused.snapshot?.statusCode == 404)
        #expect(confirmed.statusCode == 200, "team/a, which holds the blob: \(confirmed.bodyText)")
        #expect(TestSHA256.digest(confirmed.body) == digest)
    }

    /// Links are kept on disk under the upstream's *name*. When the operator points a name at
    /// another registry (same name, new URL) and restarts, the old registry's links still
    /// vouch for its repositories: a blob cached from registry A is served for a repository of
    /// registry B that does not hold it, without asking B.
    @Test func linksFromAnUpstreamNameDoNotOutliveItsURL() throws {
        let first = try FakeUpstream()
        defer { first.stop() }
        let second = try FakeUpstream()
        defer { second.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 20_000, seed: 1012)
        let digest = first.addBlob(blob)
        second.setBehaviour(.status(404, body: FakeUpstream.errorBody(code: "BLOB_UNKNOWN", message: "blob unknown")),
                            for: .route(.blob))
        let cache = try TemporaryDirectory(prefix: "cistern-renamed")
        let path = "/v2/team/app/blobs/\(digest)"
        do {
            let cistern = try CisternInstance(upstreams: [("internal", first.baseURL)], cacheDirectory: cache.url)
            defer { cistern.stop() }
            #expect(TestSHA256.digest(try TestHTTPClient.fetch(port: cistern.port, path).body) == digest)
        }
        let cistern = try CisternInstance(upstreams: [("internal", second.baseURL)], cacheDirectory: cache.url)
        defer { cistern.stop() }
        let answer = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(answer.statusCode == 404, "registry B does not hold the blob")
        #expect(second.requestCount(path: path) >= 1, "registry B was asked")
    }

    /// `{"schemaVersion":1,…,"signatures":[{"protected": …}]}` whose JWS payload (libtrust:
    /// the first `formatLength` bytes plus `formatTail`) is `payload`.
    static func schema1Lookalike(payload: [UInt8]) throws -> [UInt8] {
        func base64URL(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let protected = try JSONSerialization.data(withJSONObject: [
            "formatLength": 1, "formatTail": base64URL(Array(payload.dropFirst())), "time": "2020-01-01T00:00:00Z",
        ])
        let document: [String: Any] = [
            "schemaVersion": 1, "name": "x/y", "tag": "evil", "architecture": "amd64",
            "fsLayers": [["blobSum": "sha256:" + String(repeating: "e", count: 64)]],
            "history": [["v1Compatibility": #"{"id":"evil"}"#]],
            "signatures": [["header": ["alg": "ES256"], "signature": "AAAA", "protected": base64URL(Array(protected))]],
        ]
        return Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
    }
}
