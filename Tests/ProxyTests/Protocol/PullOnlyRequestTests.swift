import Foundation
import Testing

/// Requests a pull-through mirror must refuse on its own (issue 4 item 8.11): push methods get
/// 405 UNSUPPORTED; hostile names, tags and digests get 400 with the spec's code. Neither
/// reaches the upstream, and nothing is written inside or outside the cache directory.
@Suite struct PullOnlyRequestTests {
    /// The files and directories under `root`, relative, sorted.
    private static func listing(_ root: URL) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    /// A fake upstream (which must see nothing) and a Cistern whose cache is `<work>/cache`.
    private static func start() throws -> (upstream: FakeUpstream, work: TemporaryDirectory, cistern: CisternInstance) {
        let upstream = try FakeUpstream()
        let work = try TemporaryDirectory(prefix: "cistern-hostile")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: work.appending("cache"))
        return (upstream, work, cistern)
    }

    @Test func pushMethodsGet405UnsupportedAndNeverReachTheUpstream() async throws {
        let (upstream, work, cistern) = try Self.start()
        defer { upstream.stop() }
        let before = Self.listing(work.url)
        let digest = TestSHA256.digest(Array("layer".utf8))
        let manifest = Array(#"{"schemaVersion":2}"#.utf8)
        let requests: [(method: String, target: String, body: [UInt8])] = [
            ("PUT", "/v2/team/app/manifests/v1", manifest),
            ("PUT", "/v2/team/app/manifests/\(TestSHA256.digest(manifest))", manifest),
            ("DELETE", "/v2/team/app/manifests/\(TestSHA256.digest(manifest))", []),
            ("POST", "/v2/team/app/manifests/v1", manifest),
            ("PATCH", "/v2/team/app/manifests/v1", manifest),
            ("POST", "/v2/team/app/blobs/uploads/", []),
            ("POST", "/v2/team/app/blobs/uploads/?digest=\(digest)", Array("layer".utf8)),
            ("POST", "/v2/team/app/blobs/uploads/?mount=\(digest)&from=other/app", []),
            ("PATCH", "/v2/team/app/blobs/uploads/3f1c9a2e-upload", Array("layer".utf8)),
            ("PUT", "/v2/team/app/blobs/uploads/3f1c9a2e-upload?digest=\(digest)", Array("layer".utf8)),
            ("DELETE", "/v2/team/app/blobs/uploads/3f1c9a2e-upload", []),
            ("DELETE", "/v2/team/app/blobs/\(digest)", []),
            ("PUT", "/v2/team/app/blobs/uploads/", Array("layer".utf8)),
        ]
        for request in requests {
            let label = "\(request.method) \(request.target)"
            let response = try await OffPool.fetch(port: cistern.port, method: request.method, request.target)
            #expect(response.statusCode == 405, "\(label)")
            #expect(response.header("Content-Type") == "application/json; charset=utf-8", "\(label)")
            #expect(OCIErrorDocument(response.body)?.codes == ["UNSUPPORTED"], "\(label): \(response.bodyText)")
            // RFC 9110 section 15.5.6: a 405 names the methods the target allows.
            #expect(response.header("Allow") == (request.target.contains("/blobs/uploads") ? "" : "GET, HEAD"), "\(label)")
            // And with the body a pushing client sends.
            if !request.body.isEmpty {
                let (port, method, target, body) = (cistern.port, request.method, request.target, request.body)
                let withBody = try await OffPool.run {
                    let client = try TestHTTPClient(port: port)
                    defer { client.close() }
                    return try client.request(method, target, headers: [("Content-Type", "application/octet-stream")], body: body)
                }
                #expect(withBody.statusCode == 405, "\(label) with a body")
                #expect(OCIErrorDocument(withBody.body)?.codes == ["UNSUPPORTED"], "\(label) with a body")
            }
        }
        #expect(upstream.requests.isEmpty, "\(upstream.requests.map(\.target))")
        #expect(Self.listing(work.url) == before)
    }

    @Test func hostileNamesAndDigestsGet400WithTheSpecCodeAndTouchNoFile() async throws {
        let (upstream, work, cistern) = try Self.start()
        defer { upstream.stop() }
        let before = Self.listing(work.url)
        let hex = String(repeating: "a", count: 64)
        let cases: [(target: String, code: String)] = [
            ("/v2/../etc/passwd/manifests/x", "NAME_INVALID"),
            ("/v2/library/../../etc/passwd/manifests/x", "NAME_INVALID"),
            ("/v2/%2e%2e/etc/passwd/manifests/x", "NAME_INVALID"),
            ("/v2/%2E%2E/%2E%2E/etc/manifests/latest", "NAME_INVALID"),
            ("/v2/library/..%2f..%2fetc/manifests/latest", "NAME_INVALID"),
            ("/v2/library/alpine%2f..%2f..%2fx/blobs/sha256:\(hex)", "NAME_INVALID"),
            ("/v2/./library/alpine/manifests/latest", "NAME_INVALID"),
            ("/v2/library//alpine/manifests/latest", "NAME_INVALID"),
            ("/v2/library\\..\\..\\etc/manifests/latest", "NAME_INVALID"),
            ("/v2/Library/Alpine/manifests/latest", "NAME_INVALID"),
            ("/v2/library/ALPINE/blobs/sha256:\(hex)", "NAME_INVALID"),
            ("/v2/-alpine/manifests/latest", "NAME_INVALID"),
            ("/v2/.hidden/manifests/latest", "NAME_INVALID"),
            ("/v2/\(String(repeating: "a", count: 256))/manifests/latest", "NAME_INVALID"),
            ("/v2/\(String(repeating: "ab/", count: 85))c/manifests/latest", "NAME_INVALID"),
            ("/v2/library/alpine/manifests/sha256:\(String(repeating: "z", count: 64))", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/manifests/sha256:\(String(repeating: "A", count: 64))", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/manifests/sha256:\(hex.dropLast())", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/manifests/sha256:\(hex)a", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", "DIGEST_INVALID"),
            ("/v2/library/alpine/blobs/SHA256:\(hex)", "DIGEST_INVALID"),
            ("/v2/library/alpine/blobs/sha256:", "DIGEST_INVALID"),
            ("/v2/library/alpine/blobs/\(hex)", "DIGEST_INVALID"),
            ("/v2/library/alpine/referrers/sha1:\(String(repeating: "a", count: 40))", "DIGEST_INVALID"),
            ("/v2/library/alpine/manifests/-latest", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/manifests/\(String(repeating: "t", count: 129))", "MANIFEST_UNKNOWN"),
            ("/v2/library/alpine/manifests/.INVALID_MANIFEST_NAME", "MANIFEST_UNKNOWN"),
        ]
        for (target, code) in cases {
            for method in ["GET", "HEAD"] {
                let response = try await OffPool.fetch(port: cistern.port, method: method, target)
                #expect(response.statusCode == (code == "MANIFEST_UNKNOWN" ? 404 : 400), "\(method) \(target)")
                #expect(response.header("Content-Type") == "application/json; charset=utf-8", "\(method) \(target)")
                if method == "GET" {
                    #expect(OCIErrorDocument(response.body)?.codes == [code], "\(target): \(response.bodyText)")
                }
            }
        }
        #expect(upstream.requests.isEmpty, "\(upstream.requests.map(\.target))")
        #expect(Self.listing(work.url) == before, "files appeared under \(work.path)")
        // Nothing but the store's own directories and the process's lock file (`cistern.pid`,
        // written at start-up): no file at all, anywhere in the cache.
        let files = Self.listing(cistern.cacheDirectory).filter { relative in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: cistern.cacheDirectory.appendingPathComponent(relative).path, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue
        }
        // ... and the record of which URL the upstream name stands for (`links/<name>/.origin`).
        #expect(files == ["cistern.pid", "links/\(cistern.server.configuration.upstreams[0].name)/.origin"], "\(files)")
    }
}
