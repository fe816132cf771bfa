import Foundation
import Testing

/// The fake upstream against its own contract, through `TestHTTPClient`: routes and the
/// request record here; faults, auth and redirects in the `+Concern` files.
@Suite("FakeUpstream self-tests")
struct FakeUpstreamSelfTests {
    /// The OCI image manifest media type.
    static let manifestType = "application/vnd.oci.image.manifest.v1+json"
    /// A small manifest body.
    static let manifestBytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#.utf8)
    /// A 5000-byte blob whose bytes vary, so an offset error shows as different bytes.
    static let blobBytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

    @Test("GET /v2/ answers 200 with the API version field and an empty JSON object")
    func baseAnswers200() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(response.statusCode == 200)
        #expect(response.header("Docker-Distribution-API-Version") == "registry/2.0")
        #expect(response.bodyText == "{}")
        #expect(response.isComplete)
    }

    @Test("a blob GET returns its exact bytes with digest, length and type fields")
    func blobGetServesBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        #expect(digest == TestSHA256.digest(Self.blobBytes))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/alpine/blobs/\(digest)")
        #expect(response.statusCode == 200)
        #expect(response.body == Self.blobBytes)
        #expect(response.header("Docker-Content-Digest") == digest)
        #expect(response.header("Content-Length") == "5000")
        #expect(response.header("Content-Type") == "application/octet-stream")
        #expect(response.header("ETag") == "\"\(digest)\"")
        #expect(response.framing == TestHTTPResponse.Framing.contentLength(5000))
    }

    @Test("a blob HEAD returns the GET fields and no body")
    func blobHeadHasNoBody() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        let head = try client.request("HEAD", "/v2/a/blobs/\(digest)")
        #expect(head.statusCode == 200 && head.body.isEmpty && head.isComplete)
        #expect(head.header("Content-Length") == "5000")
        #expect(head.header("Docker-Content-Digest") == digest)
        // The same connection is still in step: the next response is parsed cleanly.
        let get = try client.request("GET", "/v2/a/blobs/\(digest)")
        #expect(get.body == Self.blobBytes)
        #expect(upstream.acceptedConnectionCount == 1)
    }

    @Test("single byte ranges answer 206 with Content-Range; unsatisfiable ones 416", arguments: [
        ("bytes=0-99", 206, "bytes 0-99/5000", 0..<100),
        ("bytes=4990-", 206, "bytes 4990-4999/5000", 4990..<5000),
        ("bytes=-10", 206, "bytes 4990-4999/5000", 4990..<5000),
        ("bytes=4000-9999", 206, "bytes 4000-4999/5000", 4000..<5000),
        ("bytes=5000-", 416, "bytes */5000", 0..<0),
        ("bytes=0-1,5-6", 200, nil, 0..<5000),
    ] as [(String, Int, String?, Range<Int>)])
    func blobRange(range: String, status: Int, contentRange: String?, expected: Range<Int>) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)", headers: [("Range", range)])
        #expect(response.statusCode == status)
        #expect(response.header("Content-Range") == contentRange)
        if status != 416 { #expect(response.body == Array(Self.blobBytes[expected])) }
    }

    @Test("ignoreRange answers a Range request with 200 and the whole blob")
    func ignoreRange() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.ignoreRange, for: .digest(digest))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)", headers: [("Range", "bytes=100-")])
        #expect(response.statusCode == 200)
        #expect(response.header("Content-Range") == nil)
        #expect(response.body == Self.blobBytes)
        #expect(upstream.requests.last?.header("Range") == "bytes=100-")  // recorded as sent
    }

    @Test("manifests are served by tag and by digest with media type and digest fields")
    func manifestByTagAndDigest() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "library/alpine", tag: "3.20", bytes: Self.manifestBytes, mediaType: Self.manifestType)
        for reference in ["3.20", digest] {
            let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/alpine/manifests/\(reference)")
            #expect(response.statusCode == 200)
            #expect(response.body == Self.manifestBytes)
            #expect(response.header("Content-Type") == Self.manifestType)
            #expect(response.header("Docker-Content-Digest") == digest)
            #expect(response.header("Content-Length") == String(Self.manifestBytes.count))
        }
        let otherRepository = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/busybox/manifests/3.20")
        #expect(otherRepository.statusCode == 404)
        #expect(otherRepository.bodyText.contains("MANIFEST_UNKNOWN"))
    }

    @Test("unknown blobs answer 404 BLOB_UNKNOWN and unknown paths 404")
    func unknownContent() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/sha256:" + String(repeating: "0", count: 64))
        #expect(blob.statusCode == 404)
        #expect(blob.bodyText == #"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":null}]}"#)
        let other = try TestHTTPClient.fetch(port: upstream.port, "/elsewhere")
        #expect(other.statusCode == 404)
        let token = try TestHTTPClient.fetch(port: upstream.port, "/token?service=fake-registry")
        #expect(token.statusCode == 404, "the token endpoint is off without token auth")
    }

    @Test("tags/list lists tags lexically and paginates with n, last and a Link field")
    func tagsListPaginates() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        for tag in ["b", "a", "d", "c", "e"] {
            upstream.addManifest(repository: "org/app", tag: tag, bytes: Array(tag.utf8), mediaType: Self.manifestType)
        }
        let all = try TestHTTPClient.fetch(port: upstream.port, "/v2/org/app/tags/list")
        #expect(all.bodyText == #"{"name":"org/app","tags":["a","b","c","d","e"]}"#)
        #expect(all.header("Link") == nil)
        let first = try TestHTTPClient.fetch(port: upstream.port, "/v2/org/app/tags/list?n=2")
        #expect(first.bodyText == #"{"name":"org/app","tags":["a","b"]}"#)
        #expect(first.header("Link") == #"</v2/org/app/tags/list?last=b&n=2>; rel="next""#)
        let second = try TestHTTPClient.fetch(port: upstream.port, "/v2/org/app/tags/list?n=2&last=b")
        #expect(second.bodyText == #"{"name":"org/app","tags":["c","d"]}"#)
        #expect(second.header("Link") == #"</v2/org/app/tags/list?last=d&n=2>; rel="next""#)
        let last = try TestHTTPClient.fetch(port: upstream.port, "/v2/org/app/tags/list?n=2&last=d")
        #expect(last.bodyText == #"{"name":"org/app","tags":["e"]}"#)
        #expect(last.header("Link") == nil)
        let unknown = try TestHTTPClient.fetch(port: upstream.port, "/v2/org/none/tags/list")
        #expect(unknown.statusCode == 404 && unknown.bodyText.contains("NAME_UNKNOWN"))
    }

    @Test("referrers answer an OCI index, filtered by artifactType with OCI-Filters-Applied")
    func referrersIndex() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let subject = upstream.addManifest(repository: "r", tag: "v1", bytes: Self.manifestBytes, mediaType: Self.manifestType)
        let signatureBytes = Array(#"{"sig":1}"#.utf8)
        let signature = upstream.addReferrer(
            repository: "r", subject: subject, bytes: signatureBytes, artifactType: "application/vnd.example.sig",
            annotations: ["org.example.note": "signed"])
        let sbom = upstream.addReferrer(repository: "r", subject: subject, bytes: Array(#"{"sbom":1}"#.utf8), artifactType: "application/spdx+json")

        let all = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/referrers/\(subject)")
        #expect(all.statusCode == 200)
        #expect(all.header("Content-Type") == "application/vnd.oci.image.index.v1+json")
        #expect(all.header("OCI-Filters-Applied") == nil)
        let index = try #require(try JSONSerialization.jsonObject(with: Data(all.body)) as? [String: Any])
        #expect(index["schemaVersion"] as? Int == 2)
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let manifests = try #require(index["manifests"] as? [[String: Any]])
        #expect(manifests.map { $0["digest"] as? String } == [signature, sbom])
        #expect(manifests.first?["size"] as? Int == signatureBytes.count)
        #expect((manifests.first?["annotations"] as? [String: String])?["org.example.note"] == "signed")

        let filtered = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/referrers/\(subject)?artifactType=application%2Fspdx%2Bjson")
        #expect(filtered.header("OCI-Filters-Applied") == "artifactType")
        #expect(filtered.bodyText.contains(sbom) && !filtered.bodyText.contains(signature))
        // The referrer manifest itself is served by digest.
        let referrer = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/manifests/\(signature)")
        #expect(referrer.body == signatureBytes)
    }

    @Test("requests are recorded with method, target and every header in order and case")
    func requestsAreRecorded() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let headers = [
            ("Host", "upstream.example"), ("User-Agent", "cistern-test/1"), ("Accept", "application/a"),
            ("accept", "application/b"), ("X-Forwarded-For", "10.0.0.1"),
        ]
        _ = try TestHTTPClient.fetch(port: upstream.port, "/v2/x/tags/list?n=1", headers: headers)
        _ = try TestHTTPClient.fetch(port: upstream.port, method: "HEAD", "/v2/x/tags/list")
        let recorded = try #require(upstream.requests.first)
        #expect(recorded.method == "GET")
        #expect(recorded.target == "/v2/x/tags/list?n=1")
        #expect(recorded.path == "/v2/x/tags/list" && recorded.query == "n=1")
        #expect(recorded.headers == headers.map { TestHeaderField($0.0, $0.1) })
        #expect(recorded.headerValues("Accept") == ["application/a", "application/b"])
        #expect(recorded.header("Authorization") == nil)
        #expect(upstream.requestCount(path: "/v2/x/tags/list") == 2)
        #expect(upstream.requestCount(method: "HEAD", path: "/v2/x/tags/list") == 1)
        #expect(upstream.requestCount(method: "GET", path: "/v2/") == 0)
        upstream.clearRecordedRequests()
        #expect(upstream.requests.isEmpty)
    }

    @Test("keep-alive serves several requests on one connection; Connection: close ends it")
    func keepAlive() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        for _ in 0..<3 {
            let response = try client.request("GET", "/v2/")
            #expect(response.statusCode == 200 && client.canReuseConnection)
        }
        let last = try client.request("GET", "/v2/", headers: [("Connection", "close")])
        #expect(last.header("Connection") == "close" && !client.canReuseConnection)
        #expect(client.readRemaining(timeout: .seconds(5)).ending == .complete, "server closed")
        #expect(upstream.acceptedConnectionCount == 1)
        #expect(upstream.requests.map(\.connectionIndex) == [0, 0, 0, 0])
    }

    @Test("stop() closes open connections and the listener")
    func stopClosesEverything() throws {
        let upstream = try FakeUpstream()
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        #expect(try client.request("GET", "/v2/").statusCode == 200)
        upstream.setBehaviour(.stallAfterHeaders(.seconds(60)))
        try client.send("GET", "/v2/")
        // Wait for the real condition: the head has arrived, so the fake is in its stall.
        guard case .bytes(let head) = client.socket.receive(maxByteCount: 65_536, timeout: .seconds(5)) else {
            Issue.record("no response head before the stall")
            upstream.stop()
            return
        }
        #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        let started = ContinuousClock.now
        upstream.stop()
        if TimingAssertions.areEnabled {
            #expect(ContinuousClock.now - started < .seconds(5), "stop() does not wait out the stall")
        }
        #expect(client.readRemaining(timeout: .seconds(5)).ending != .timedOut)
        #expect(throws: TestSocketError.self) { try TestHTTPClient(port: upstream.port) }
        let lifecycle = upstream.lifecycle.snapshot
        #expect(lifecycle.openConnections.isEmpty && lifecycle.connectionThreads.isEmpty && lifecycle.acceptThread == nil)
        upstream.stop()  // Idempotent.
    }
}
