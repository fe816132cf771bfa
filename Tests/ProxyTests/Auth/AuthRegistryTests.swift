import Foundation
import Testing

@testable import ProxyConfig

/// Client authentication end to end (issue 17 items 1, 2, 5, 6) against an in-process
/// Cistern with real skopeo and the real registry upstream: `/v2/` always challenges, an
/// anonymous push is challenged, `skopeo --dest-creds` pushes and an anonymous skopeo pull
/// gets every digest back, wrong passwords get 401 (then 429), a user outside `push` gets
/// 403 DENIED, the probes and metrics stay open.
@Suite(.serialized) struct AuthRegistryTests {
    static func start(_ auth: AuthFixture, configure: (inout Configuration) -> Void = { _ in }) async throws -> (RegistryProcess, CisternInstance) {
        let registry = try await RegistryProcess.start()
        let name = registry.hostAndPort
        let cistern = try CisternInstance(upstreams: [(name, registry.baseURL.absoluteString)]) {
            auth.configure(&$0, upstream: name)
            configure(&$0)
        }
        return (registry, cistern)
    }

    static func errorCode(_ response: TestHTTPResponse) -> String? {
        let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (json?["errors"] as? [[String: Any]])?.first?["code"] as? String
    }

    @Test func baseAlwaysChallengesAnonymousPushIsChallengedAndProbesStayOpen() async throws {
        let auth = try await AuthFixture()
        let (_, cistern) = try await Self.start(auth)
        let realm = "Bearer realm=\"http://127.0.0.1:\(cistern.port)/token\",service=\"cistern\""
        let base = try await OffPool.fetch(port: cistern.port, "/v2/")
        #expect(base.statusCode == 401 && base.header("WWW-Authenticate") == realm)
        // X-Forwarded-Proto is believed from trusted proxies only; there are none here.
        let forwarded = try await OffPool.fetch(port: cistern.port, "/v2/", headers: [("X-Forwarded-Proto", "https")])
        #expect(forwarded.header("WWW-Authenticate") == realm)
        let push = try await OffPool.fetch(port: cistern.port, method: "POST", "/v2/mycorp/app/blobs/uploads/", headers: [("Content-Length", "0")])
        #expect(push.statusCode == 401)
        #expect(push.header("WWW-Authenticate") == realm + ",scope=\"repository:mycorp/app:pull,push\"")
        #expect(Self.errorCode(push) == "UNAUTHORIZED")
        // Pull of a route that needs a user: challenged with the pull scope.
        let team = try await OffPool.fetch(port: cistern.port, "/v2/team/app/tags/list")
        #expect(team.statusCode == 401 && team.header("WWW-Authenticate") == realm + ",scope=\"repository:team/app:pull\"")
        for path in ["/healthz", "/readyz", "/metrics"] {
            #expect(try await OffPool.fetch(port: cistern.port, path).statusCode == 200, "\(path)")
        }
        // A valid credential or token opens /v2/.
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/", headers: [AuthFixture.basic(AuthFixture.alice)]).statusCode == 200)
        let token = try await OffPool.fetch(port: cistern.port, "/token?service=cistern&scope=repository:mycorp/app:pull")
        #expect(token.statusCode == 200 && token.header("Cache-Control") == "no-store")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(token.body)) as? [String: Any])
        let bearer = try #require(json["token"] as? String)
        #expect(json["expires_in"] as? Int == 300)
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/", headers: [("Authorization", "Bearer \(bearer)")]).statusCode == 200)
        let forged = try await OffPool.fetch(port: cistern.port, "/v2/", headers: [("Authorization", "Bearer \(bearer.dropLast(2))xx")])
        #expect(forged.statusCode == 401 && forged.header("WWW-Authenticate") == realm + ",error=\"invalid_token\"")
        // The key file was created owner-only.
        let mode = try FileManager.default.attributesOfItem(atPath: auth.tokenKeyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func skopeoPushesWithDestCredsAndAnAnonymousSkopeoPullGetsEveryDigestBack() async throws {
        let auth = try await AuthFixture()
        let (registry, cistern) = try await Self.start(auth)
        let work = try TemporaryDirectory(prefix: "cistern-auth-push")
        let image = try await ImageBuilder(directory: work.url).image(
            name: "authed", layers: [.file(byteCount: 200_000), .file(byteCount: 4096, path: "b.bin")], seed: 1701)
        await #expect(throws: ChildProcess.Failure.self, "an anonymous push must fail") {
            try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:v1")
        }
        try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:v1", credentials: AuthFixture.ciBot)

        let pulled = work.url.appendingPathComponent("pulled")
        try await Skopeo().copy("\(cistern.hostAndPort)/mycorp/app:v1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == image.root.digest)
        #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))
        #expect(try await registry.requests().isEmpty, "nothing reached the upstream")
    }

    @Test func wrongPasswordIs401ThenLimitedAndAUserOutsidePushIsDenied() async throws {
        let auth = try await AuthFixture()
        let (_, cistern) = try await Self.start(auth)
        let work = try TemporaryDirectory(prefix: "cistern-auth-deny")
        let image = try await ImageBuilder(directory: work.url).image(name: "denied", layers: [.file(byteCount: 5000)], seed: 1702)

        // alice is a user, but not in mycorp's push: her token grants pull only, and a push is 403 DENIED.
        let token = try await OffPool.fetch(port: cistern.port, "/token?service=cistern&scope=repository:mycorp/app:pull,push",
                                            headers: [AuthFixture.basic(AuthFixture.alice)])
        #expect(token.statusCode == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(token.body)) as? [String: Any])
        let bearer = try #require(json["token"] as? String)
        let denied = try await OffPool.fetch(port: cistern.port, method: "POST", "/v2/mycorp/app/blobs/uploads/",
                                             headers: [("Authorization", "Bearer \(bearer)"), ("Content-Length", "0")])
        #expect(denied.statusCode == 403 && Self.errorCode(denied) == "DENIED")
        let direct = try await OffPool.fetch(port: cistern.port, method: "POST", "/v2/mycorp/app/blobs/uploads/",
                                             headers: [AuthFixture.basic(AuthFixture.alice), ("Content-Length", "0")])
        #expect(direct.statusCode == 403 && Self.errorCode(direct) == "DENIED")
        let skopeo = await #expect(throws: ChildProcess.Failure.self) {
            try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:v1", credentials: AuthFixture.alice)
        }
        #expect("\(String(describing: skopeo))".contains("denied"), "\(String(describing: skopeo))")
        // alice may push where authenticated users may.
        try await Skopeo.push(image, to: "\(cistern.hostAndPort)/team/app:v1", credentials: AuthFixture.alice)

        // Wrong password: 401 on the token endpoint, on a direct Basic, and for skopeo.
        let wrong = RegistrySeeder.Credentials(username: AuthFixture.ciBot.username, password: "not-the-password")
        let refused = try await OffPool.fetch(port: cistern.port, "/token?service=cistern&scope=repository:mycorp/app:pull,push",
                                              headers: [AuthFixture.basic(wrong)])
        #expect(refused.statusCode == 401 && Self.errorCode(refused) == "UNAUTHORIZED")
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/", headers: [AuthFixture.basic(wrong)]).statusCode == 401)
        await #expect(throws: ChildProcess.Failure.self) {
            try await Skopeo.push(image, to: "\(cistern.hostAndPort)/mycorp/app:v2", credentials: wrong)
        }
        // Five failures from 127.0.0.1 (max_failed_attempts: 5): now even the right password waits.
        var limited: TestHTTPResponse?
        for _ in 0..<5 {
            let answer = try await OffPool.fetch(port: cistern.port, "/v2/", headers: [AuthFixture.basic(wrong)])
            if answer.statusCode == 429 { limited = answer; break }
        }
        let answer = try #require(limited)
        #expect(Self.errorCode(answer) == "TOOMANYREQUESTS")
        #expect(Int(answer.header("Retry-After") ?? "") ?? 0 > 0)
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/", headers: [AuthFixture.basic(AuthFixture.ciBot)]).statusCode == 429)
        // Every refusal is counted, up to the limit; past it the 429s are.
        let metrics = try await OffPool.fetch(port: cistern.port, "/metrics").bodyText
        #expect(metrics.contains("cistern_auth_failures_total{reason=\"password\"} 5\n"), "\(metrics)")
        #expect(metrics.contains("cistern_auth_failures_total{reason=\"token\"} 0\n"))
        #expect(metrics.contains("cistern_auth_limited_total 2\n"))
        #expect(metrics.contains("cistern_auth_tokens_issued_total "))
        // Anonymous pulls are not failed attempts and still work.
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/team/app/tags/list").statusCode == 401)
    }
}
