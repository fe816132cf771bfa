import Foundation
import Testing

@testable import ProxyConfig

/// Two corners of client authentication (issue 17 item 2): a cross-repository mount (how a
/// pushed manifest gets its blobs) needs pull on the source repository, by the route's
/// principals and by the token's grants; and behind a trusted proxy the failed-attempt limit
/// counts the address the proxy saw, and the realm follows its `X-Forwarded-Proto`.
@Suite(.serialized) struct AuthMountAndProxyTests {
    @Test func aMountNeedsPullOnTheSourceRepository() async throws {
        let auth = try await AuthFixture()
        let (_, cistern) = try await AuthRegistryTests.start(auth)
        let port = cistern.port
        let blob = Array("a layer alice pushed".utf8)
        let digest = TestSHA256.digest(blob)
        let alice = AuthFixture.basic(AuthFixture.alice)
        let ciBot = AuthFixture.basic(AuthFixture.ciBot)
        try await OffPool.run {
            for source in ["secret/src", "team/src"] {
                let client = try TestHTTPClient(port: port)
                defer { client.close() }
                #expect(try client.request("POST", "/v2/\(source)/blobs/uploads/?digest=\(digest)", headers: [alice], body: blob).statusCode == 201)
            }
            // ci-bot may not pull secret/src: no mount, an upload session instead.
            let refused = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/app/blobs/uploads/?mount=\(digest)&from=secret/src",
                                                   headers: [ciBot])
            #expect(refused.statusCode == 202)
            #expect(try TestHTTPClient.fetch(port: port, method: "HEAD", "/v2/mycorp/app/blobs/\(digest)").statusCode == 404)
            // With a token, its grants decide too: one without pull on team/src mounts nothing.
            let token = try TestHTTPClient.fetch(port: port, "/token?service=cistern&scope=repository:mycorp/app:pull,push", headers: [ciBot])
            let json = try JSONSerialization.jsonObject(with: Data(token.body)) as? [String: Any]
            let bearer = ("Authorization", "Bearer \(json?["token"] as? String ?? "")")
            let unscoped = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/app/blobs/uploads/?mount=\(digest)&from=team/src",
                                                    headers: [bearer])
            #expect(unscoped.statusCode == 202)
            // ci-bot may pull team/src (authenticated): mounted.
            let mounted = try TestHTTPClient.fetch(port: port, method: "POST", "/v2/mycorp/app/blobs/uploads/?mount=\(digest)&from=team/src",
                                                   headers: [ciBot])
            #expect(mounted.statusCode == 201 && mounted.header("Location") == "/v2/mycorp/app/blobs/\(digest)")
            #expect(try TestHTTPClient.fetch(port: port, method: "HEAD", "/v2/mycorp/app/blobs/\(digest)").statusCode == 200)
        }
    }

    @Test func behindATrustedProxyTheForwardedAddressIsLimitedAndTheForwardedSchemeIsTheRealms() async throws {
        let auth = try await AuthFixture()
        let (_, cistern) = try await AuthRegistryTests.start(auth) {
            $0.trustedProxies = [try! AddressRange(parsing: "127.0.0.1", key: "trusted_proxies[0]")]
        }
        let port = cistern.port
        let base = try await OffPool.fetch(port: port, "/v2/", headers: [("X-Forwarded-Proto", "https")])
        #expect(base.header("WWW-Authenticate") == "Bearer realm=\"https://127.0.0.1:\(port)/token\",service=\"cistern\"")
        let wrong = AuthFixture.basic(RegistrySeeder.Credentials(username: "ci-bot", password: "guess"))
        for _ in 0..<5 {
            #expect(try await OffPool.fetch(port: port, "/v2/", headers: [wrong, ("X-Forwarded-For", "10.9.9.9")]).statusCode == 401)
        }
        #expect(try await OffPool.fetch(port: port, "/v2/", headers: [wrong, ("X-Forwarded-For", "10.9.9.9")]).statusCode == 429)
        // A client that prepends a forged address is still counted by what the proxy appended.
        #expect(try await OffPool.fetch(port: port, "/v2/", headers: [wrong, ("X-Forwarded-For", "10.1.1.1, 10.9.9.9")]).statusCode == 429)
        // Another client behind the same proxy is not affected.
        #expect(try await OffPool.fetch(port: port, "/v2/", headers: [AuthFixture.basic(AuthFixture.ciBot), ("X-Forwarded-For", "10.9.9.8")]).statusCode == 200)
    }

    /// Item 4: what a client authenticated with never reaches the upstream.
    @Test func aClientsAuthorizationIsNeverForwardedUpstream() async throws {
        let auth = try await AuthFixture()
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = Array("pulled through with a credential".utf8)
        let digest = upstream.addBlob(blob)
        let name = "127.0.0.1:\(upstream.port)"
        let cistern = try CisternInstance(upstreams: [(name, upstream.baseURL)]) {
            auth.configure(&$0, upstream: name)
            $0.routes.insert(RouteConfiguration(match: "internal/*", registry: name, pull: .authenticated), at: 0)
        }
        let token = try await OffPool.fetch(port: cistern.port, "/token?service=cistern&scope=repository:internal/app:pull",
                                            headers: [AuthFixture.basic(AuthFixture.alice)])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(token.body)) as? [String: Any])
        let bearer = try #require(json["token"] as? String)
        let viaToken = try await OffPool.fetch(port: cistern.port, "/v2/internal/app/blobs/\(digest)", headers: [("Authorization", "Bearer \(bearer)")])
        #expect(viaToken.statusCode == 200 && viaToken.body == blob)
        let viaBasic = try await OffPool.fetch(port: cistern.port, "/v2/library/x/blobs/\(digest)", headers: [AuthFixture.basic(AuthFixture.alice)])
        #expect(viaBasic.statusCode == 200 && viaBasic.body == blob)
        let requests = upstream.requests
        #expect(!requests.isEmpty)
        for request in requests {
            #expect(request.header("Authorization") == nil, "\(request.method) \(request.target)")
        }
    }
}
