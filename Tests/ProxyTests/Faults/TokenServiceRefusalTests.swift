import Foundation
import Testing

/// A token service that refuses to issue a token (issue 10 item a) is answered as the
/// upstream's own refusal would be: 429 with its Retry-After, 503 (with Retry-After when it
/// sent one) for any 5xx, 401 UNAUTHORIZED / 403 DENIED naming the upstream for refused
/// credentials — never a bare 502. On a manifest by tag, a blob and tags/list, GET and HEAD.
@Suite struct TokenServiceRefusalTests {
    struct Row: Sendable, CustomStringConvertible {
        let label: String
        let behaviour: FakeUpstream.Behaviour
        let status: Int
        let code: String
        let retryAfter: String?
        var description: String { label }
    }

    static let rows: [Row] = [
        Row(label: "429 with Retry-After", behaviour: .tooManyRequests(retryAfterSeconds: 17),
            status: 429, code: "TOOMANYREQUESTS", retryAfter: "17"),
        Row(label: "503 with Retry-After", behaviour: .status(503, headers: [TestHeaderField("Retry-After", "9")]),
            status: 503, code: "UPSTREAM_UNAVAILABLE", retryAfter: "9"),
        Row(label: "500", behaviour: .status(500), status: 503, code: "UPSTREAM_UNAVAILABLE", retryAfter: nil),
        Row(label: "403", behaviour: .status(403, body: FakeUpstream.errorBody(code: "DENIED", message: "no")),
            status: 403, code: "DENIED", retryAfter: nil),
    ]

    @Test(arguments: rows)
    func theTokenServicesRefusalReachesTheClientAsTheUpstreamsOwn(_ row: Row) async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth()
        let repository = "tokens/app"
        upstream.addManifest(repository: repository, tag: "v1", bytes: Array(#"{"schemaVersion":2,"layers":[]}"#.utf8),
                             mediaType: FixtureMediaType.ociManifest)
        let digest = upstream.addBlob(PseudoRandomBytes.make(byteCount: 4096, seed: 1300))
        upstream.setBehaviour(row.behaviour, for: .route(.token))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        var asked = 0
        for target in ["/v2/\(repository)/manifests/v1", "/v2/\(repository)/blobs/\(digest)", "/v2/\(repository)/tags/list"] {
            for method in ["GET", "HEAD"] {
                let response = try await OffPool.fetch(port: cistern.port, method: method, target, headers: AcceptVariant.containerd.headers)
                asked += 1
                let label = "\(row.label): \(method) \(target)"
                #expect(response.statusCode == row.status, "\(label): \(response.bodyText)")
                let remembered = row.status == 429 && asked > 1
                if remembered {
                    // The first 429 is remembered: later requests are refused without asking,
                    // with the 17 s counted down.
                    #expect((1...17).contains(Int(response.header("Retry-After") ?? "") ?? 0), "\(label)")
                } else {
                    #expect(response.header("Retry-After") == row.retryAfter, "\(label)")
                }
                if method == "GET" {
                    #expect(OCIErrorDocument(response.body)?.codes == [row.code], "\(label): \(response.bodyText)")
                    #expect(remembered || response.bodyText.contains("token service"), "\(label): \(response.bodyText)")
                }
            }
        }
        // Every request went as far as the token service, which refused each; after a 429,
        // only the first did.
        #expect(upstream.tokenRequestCount == (row.status == 429 ? 1 : asked))
    }

    @Test func wrongMirrorCredentialsGive401UnauthorizedNamingTheUpstream() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth(FakeUpstream.TokenAuthConfiguration(username: "mirror", password: "right"))
        let repository = "private/app"
        upstream.addManifest(repository: repository, tag: "v1", bytes: Array(#"{"schemaVersion":2,"layers":[]}"#.utf8),
                             mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.upstreams[0].username = "mirror"
            $0.upstreams[0].password = "wrong"
        }
        defer { cistern.stop() }
        let upstreamName = "127.0.0.1:\(upstream.port)"

        for target in ["/v2/\(repository)/manifests/v1", "/v2/\(repository)/tags/list"] {
            let response = try await OffPool.fetch(port: cistern.port, target, headers: AcceptVariant.containerd.headers)
            #expect(response.statusCode == 401, "\(target): \(response.bodyText)")
            #expect(OCIErrorDocument(response.body)?.codes == ["UNAUTHORIZED"], "\(target): \(response.bodyText)")
            #expect(response.bodyText.contains(upstreamName), "\(target): \(response.bodyText)")
        }
        // The token service did see the configured user (with the wrong password).
        let tokenRequests = upstream.requests.filter { $0.path == "/token" }
        #expect(tokenRequests.count == 2)
        #expect(tokenRequests.allSatisfy { $0.header("Authorization")?.hasPrefix("Basic ") == true })
    }
}
