import Foundation
import Testing

/// Token auth, basic auth and redirects.
extension FakeUpstreamSelfTests {
    /// The `token` field of a token endpoint answer.
    static func token(from response: TestHTTPResponse) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try #require(object["token"] as? String)
    }

    @Test("token auth challenges with realm, service and scope, and accepts issued tokens")
    func tokenAuthFlow() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.enableTokenAuth(.init(username: "alice", password: "s3cret", expiresInSeconds: 60))
        let realm = "http://127.0.0.1:\(upstream.port)/token"

        let base = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(base.statusCode == 401)
        #expect(base.header("WWW-Authenticate") == #"Bearer realm="\#(realm)",service="fake-registry""#)
        let blob = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/alpine/blobs/\(digest)")
        #expect(blob.statusCode == 401)
        #expect(blob.header("WWW-Authenticate") == #"Bearer realm="\#(realm)",service="fake-registry",scope="repository:library/alpine:pull""#)

        let tokenTarget = "/token?service=fake-registry&scope=repository%3Alibrary%2Falpine%3Apull"
        #expect(try TestHTTPClient.fetch(port: upstream.port, tokenTarget).statusCode == 401, "no credentials")
        let wrong = TestHTTPClient.basicAuthorization(username: "alice", password: "wrong")
        #expect(try TestHTTPClient.fetch(port: upstream.port, tokenTarget, headers: [("Authorization", wrong)]).statusCode == 401)
        let right = TestHTTPClient.basicAuthorization(username: "alice", password: "s3cret")
        let issued = try TestHTTPClient.fetch(port: upstream.port, tokenTarget, headers: [("Authorization", right)])
        #expect(issued.statusCode == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(issued.body)) as? [String: Any])
        let token = try Self.token(from: issued)
        #expect(object["access_token"] as? String == token)
        #expect(object["expires_in"] as? Int == 60)
        #expect((object["issued_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
        #expect(upstream.tokenRequestCount == 3)

        let bearer = [("Authorization", "Bearer \(token)")]
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/", headers: bearer).statusCode == 200)
        let authorized = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/alpine/blobs/\(digest)", headers: bearer)
        #expect(authorized.statusCode == 200 && authorized.body == Self.blobBytes)
        let otherScope = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/busybox/blobs/\(digest)", headers: bearer)
        #expect(otherScope.statusCode == 401)
        #expect(otherScope.header("WWW-Authenticate")?.hasSuffix(#",error="insufficient_scope""#) == true)

        upstream.expireAllTokens()
        let expired = try TestHTTPClient.fetch(port: upstream.port, "/v2/library/alpine/blobs/\(digest)", headers: bearer)
        #expect(expired.statusCode == 401)
        #expect(expired.header("WWW-Authenticate")?.hasSuffix(#",error="invalid_token""#) == true)
        #expect(upstream.tokenRequestCount == 3, "registry requests do not count as token requests")
    }

    @Test("tokens expire after expires_in seconds")
    func tokenLifetime() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth(.init(expiresInSeconds: 1))
        let issued = try TestHTTPClient.fetch(port: upstream.port, "/token?service=fake-registry&scope=repository:r:pull")
        #expect(issued.statusCode == 200, "anonymous tokens when no credentials are configured")
        let bearer = [("Authorization", "Bearer \(try Self.token(from: issued))")]
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/r/tags/list", headers: bearer).statusCode == 404)
        // The fake's clock moves instead of the test sleeping through `expires_in`.
        upstream.advanceTokenClock(by: .milliseconds(500))
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/r/tags/list", headers: bearer).statusCode == 404)
        upstream.advanceTokenClock(by: .milliseconds(500))
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/r/tags/list", headers: bearer).statusCode == 401)
    }

    @Test("the token endpoint refuses an unknown service and can be faulted like any route")
    func tokenEndpointFaults() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth()
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/token?service=other&scope=repository:r:pull").statusCode == 400)
        upstream.setBehaviour(.status(500), for: .route(.token), times: 1)
        upstream.setBehaviour(.status(503))  // `.everything` leaves the token endpoint alone.
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/token?service=fake-registry").statusCode == 500)
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/token?service=fake-registry").statusCode == 200)
        #expect(upstream.tokenRequestCount == 3)
    }

    @Test("basic auth challenges with Basic realm=fake and accepts only the right credentials")
    func basicAuth() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableBasicAuth(username: "bob", password: "pw")
        let missing = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(missing.statusCode == 401 && missing.header("WWW-Authenticate") == #"Basic realm="fake""#)
        let wrong = TestHTTPClient.basicAuthorization(username: "bob", password: "nope")
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/", headers: [("Authorization", wrong)]).statusCode == 401)
        let right = TestHTTPClient.basicAuthorization(username: "bob", password: "pw")
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/", headers: [("Authorization", right)]).statusCode == 200)
        upstream.disableAuth()
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/").statusCode == 200)
    }

    @Test("blob GETs redirect to a CDN upstream that serves the blob without auth")
    func redirectToCDN() throws {
        let origin = try FakeUpstream()
        defer { origin.stop() }
        let cdn = try FakeUpstream()
        defer { cdn.stop() }
        let digest = origin.addBlob(Self.blobBytes)
        cdn.addBlob(Self.blobBytes)
        origin.enableTokenAuth()
        origin.setBehaviour(.redirect(to: cdn), for: .route(.blob), method: "GET")
        let token = try Self.token(from: TestHTTPClient.fetch(port: origin.port, "/token?service=fake-registry&scope=repository:a:pull"))
        let target = "/v2/a/blobs/\(digest)"
        let redirect = try TestHTTPClient.fetch(port: origin.port, target, headers: [("Authorization", "Bearer \(token)")])
        #expect(redirect.statusCode == 307)
        #expect(redirect.header("Location") == cdn.baseURL + target)
        #expect(redirect.body.isEmpty)
        let fromCDN = try TestHTTPClient.fetch(port: cdn.port, target)
        #expect(fromCDN.body == Self.blobBytes)
        #expect(cdn.requests.map { $0.header("Authorization") } == [nil])
    }

    @Test("redirects go to a given URL, and a redirect loop points each request at itself")
    func redirectURLAndLoop() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(.redirect(.url("http://127.0.0.1:9/elsewhere?sig=1"), statusCode: 302), for: .path("/v2/a/blobs/x"))
        let redirect = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/x")
        #expect(redirect.statusCode == 302 && redirect.header("Location") == "http://127.0.0.1:9/elsewhere?sig=1")
        upstream.setBehaviour(.redirectLoop(), for: .route(.manifest))
        var target = "/v2/a/manifests/latest?x=1"
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        for _ in 0..<5 {
            let hop = try client.request("GET", target)
            #expect(hop.statusCode == 307)
            let location = try #require(hop.header("Location"))
            #expect(location == upstream.baseURL + target)
            target = String(location.dropFirst(upstream.baseURL.count))
        }
        #expect(upstream.requestCount(method: "GET", path: "/v2/a/manifests/latest") == 5)
    }
}
