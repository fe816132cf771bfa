import Foundation
import Testing

/// Content faults: replaced responses, wrong bytes, changed fields, gzip; and rule scoping.
extension FakeUpstreamSelfTests {
    @Test("a status override answers the next N requests, then normal answers resume", arguments: [429, 500, 502, 503])
    func statusOverrideForNextRequests(statusCode: Int) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.status(statusCode, headers: [TestHeaderField("Retry-After", "7")]), for: .route(.blob), times: 2)
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        for _ in 0..<2 {
            let refused = try client.request("GET", "/v2/a/blobs/\(digest)")
            #expect(refused.statusCode == statusCode)
            #expect(refused.header("Retry-After") == "7")
            #expect(refused.body.isEmpty && refused.header("Content-Length") == "0")
        }
        #expect(try client.request("GET", "/v2/a/blobs/\(digest)").body == Self.blobBytes)
    }

    @Test("tooManyRequests is a 429 with Retry-After and a TOOMANYREQUESTS body")
    func tooManyRequests() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(.tooManyRequests(retryAfterSeconds: 7), times: 1)
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(response.statusCode == 429 && response.reasonPhrase == "Too Many Requests")
        #expect(response.header("Retry-After") == "7")
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText.contains(#""code":"TOOMANYREQUESTS""#))
    }

    @Test("htmlErrorPage answers 200 with an HTML page and no digest")
    func htmlErrorPage() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.htmlErrorPage, for: .route(.blob))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(response.statusCode == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.body == FakeUpstream.htmlErrorPageBody)
        #expect(response.header("Docker-Content-Digest") == nil)
    }

    @Test("wrongBytes serves other bytes under the same digest")
    func wrongBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let rule = upstream.setBehaviour(.wrongBytes(), for: .digest(digest))
        let flipped = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(flipped.header("Docker-Content-Digest") == digest)
        #expect(flipped.body.count == Self.blobBytes.count)
        #expect(TestSHA256.digest(flipped.body) != digest)
        upstream.removeBehaviour(rule)
        upstream.setBehaviour(.wrongBytes(replacement: Array("short".utf8)), for: .digest(digest))
        let replaced = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(replaced.bodyText == "short" && replaced.header("Content-Length") == "5")
    }

    @Test("omitDigestHeader drops Docker-Content-Digest and etag replaces the ETag")
    func digestAndETagFields() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "r", tag: "v1", bytes: Self.manifestBytes, mediaType: Self.manifestType)
        upstream.setBehaviour(.omitDigestHeader, for: .route(.manifest))
        upstream.setBehaviour(.etag("W/\"1234-abcd\""), for: .route(.manifest))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/manifests/v1")
        #expect(response.header("Docker-Content-Digest") == nil)
        #expect(response.header("ETag") == "W/\"1234-abcd\"")
        #expect(response.body == Self.manifestBytes)
        #expect(!response.headers.contains { $0.value.contains(digest) })
    }

    @Test("gzipWhenAccepted compresses only for clients whose Accept-Encoding allows gzip")
    func gzipWhenAccepted() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addManifest(repository: "r", tag: "v1", bytes: Self.manifestBytes, mediaType: Self.manifestType)
        upstream.setBehaviour(.gzipWhenAccepted, for: .route(.manifest))
        let compressed = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/manifests/v1", headers: [("Accept-Encoding", "gzip")])
        #expect(compressed.header("Content-Encoding") == "gzip")
        #expect(compressed.header("Vary") == "Accept-Encoding")
        #expect(compressed.header("Docker-Content-Digest") == digest)
        #expect(compressed.header("Content-Length") == String(compressed.body.count))
        #expect(Array(compressed.body.prefix(2)) == [0x1f, 0x8b])
        #expect(try Self.gunzip(compressed.body) == Self.manifestBytes)
        for acceptEncoding in [nil, "identity", "gzip;q=0", "br"] as [String?] {
            let headers = acceptEncoding.map { [("Accept-Encoding", $0)] } ?? []
            let plain = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/manifests/v1", headers: headers)
            #expect(plain.header("Content-Encoding") == nil, "Accept-Encoding: \(acceptEncoding ?? "absent")")
            #expect(plain.body == Self.manifestBytes)
        }
    }

    @Test("Accept-Encoding parsing follows codings and weights", arguments: [
        ("gzip", true), ("x-gzip", true), ("deflate, gzip;q=0.5", true), ("GZIP", true), ("*", true),
        ("gzip;q=0", false), ("identity", false), ("*;q=0", false), ("br, deflate", false), ("", false),
    ])
    func acceptEncodingParsing(field: String, allowsGzip: Bool) {
        #expect(FakeUpstream.acceptsGzip(field) == allowsGzip)
    }

    @Test("rules apply only to their scope and method")
    func ruleScoping() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let first = upstream.addBlob(Array("first".utf8))
        let second = upstream.addBlob(Array("second".utf8))
        upstream.setBehaviour(.status(503), for: .digest(first), method: "GET")
        upstream.setBehaviour(.status(500), for: .repository("broken"))
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(first)").statusCode == 503)
        #expect(try TestHTTPClient.fetch(port: upstream.port, method: "HEAD", "/v2/a/blobs/\(first)").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(second)").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/broken/blobs/\(second)").statusCode == 500)
        upstream.removeAllBehaviours()
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(first)").statusCode == 200)
    }

    /// `gzip -dc` of `bytes`.
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gunzip-\(UUID().uuidString).gz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        process.arguments = ["-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}
