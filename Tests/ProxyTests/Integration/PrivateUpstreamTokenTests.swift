import Foundation
import Testing

/// `credentials: client` behind Cistern's own token endpoint (issue 17 items 1 and 3 together):
/// the client logs in the way every runtime does. skopeo gets Cistern's Bearer challenge, sends
/// its `--src-creds` to `/token` (they are no htpasswd user there: they are the upstream's),
/// gets a token that carries them sealed, and Cistern presents them to the private upstream.
/// - a client with rights pulls the upstream's image, every digest verified;
/// - a wrong password and an anonymous client cannot pull it, although it is cached;
/// - neither the password nor the token reaches the log.
@Suite(.serialized) struct PrivateUpstreamTokenTests {
    @Test func skopeoWithUpstreamCredentialsPullsThroughTheTokenEndpointAndOthersCannot() async throws {
        let seeded = try await PrivateUpstreamClientCredentialsTests.Seeded.start()
        let auth = try await AuthFixture()
        let cache = try TemporaryDirectory(prefix: "cistern-client-token-cache")
        let configFile = seeded.work.appending("cistern-token.yaml")
        try Data("""
            auth:
              htpasswd: \(auth.htpasswdPath)
              token_key_file: \(auth.tokenKeyPath)
            default_upstream: public
            registries:
              - name: public
                url: http://127.0.0.1:9
              - name: private
                url: \(seeded.registry.baseURL.absoluteString)
                ca_file: \(seeded.registry.caCertificateURL!.path)
                credentials: client
            routes:
              - match: "private/*"
                registry: private
                pull: anyone

            """.utf8).write(to: configFile)
        let cistern = try CisternProcess(upstream: "http://127.0.0.1:9", cache: cache.url, extraArguments: [
            "--config", configFile.path, "--access-log", "--log-level", "debug",
        ])
        defer { cistern.stop() }
        let image = "127.0.0.1:\(cistern.port)/\(PrivateUpstreamClientCredentialsTests.repository):1.0"
        let manifest = try #require(seeded.image.manifests.first)

        var withRights = Skopeo()
        withRights.credentials = .init(username: PrivateUpstreamClientCredentialsTests.username,
                                       password: PrivateUpstreamClientCredentialsTests.password)
        let pulled = seeded.work.appending("with-rights")
        try await withRights.copy(image, to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == seeded.image.root.digest)
        #expect(verified.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest))

        // Everything is cached now; a wrong password and an anonymous client still get nothing.
        var wrongPassword = Skopeo()
        wrongPassword.credentials = .init(username: PrivateUpstreamClientCredentialsTests.username,
                                          password: PrivateUpstreamClientCredentialsTests.wrongPassword)
        for (name, client) in [("wrong password", wrongPassword), ("anonymous", Skopeo())] {
            let destination = seeded.work.appending("refused-\(name.replacingOccurrences(of: " ", with: "-"))")
            await #expect(throws: ChildProcess.Failure.self, "\(name) pulled the private image") {
                try await client.copy(image, to: destination)
            }
            let layerFiles = manifest.layers.map { destination.appendingPathComponent(String($0.digest.dropFirst("sha256:".count))) }
            #expect(layerFiles.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) }, "\(name) got a layer")
        }
        // A blob GET with no token is challenged with Cistern's Bearer realm and the repository's scope.
        let layer = "/v2/\(PrivateUpstreamClientCredentialsTests.repository)/blobs/\(manifest.layers[0].digest)"
        let challenged = try TestHTTPClient.fetch(port: cistern.port, layer)
        #expect(challenged.statusCode == 401)
        #expect(challenged.header("WWW-Authenticate")?.hasPrefix("Bearer realm=\"http://127.0.0.1:\(cistern.port)/token\"") == true,
                "\(challenged.header("WWW-Authenticate") ?? "none")")
        #expect(challenged.header("WWW-Authenticate")?.contains("scope=\"repository:\(PrivateUpstreamClientCredentialsTests.repository):pull\"") == true)

        cistern.stop()
        let log = String(decoding: cistern.child.standardError(), as: UTF8.self)
        #expect(log.contains("/token"), "the access log was written")
        #expect(!log.contains(PrivateUpstreamClientCredentialsTests.password))
        #expect(!log.contains(PrivateUpstreamClientCredentialsTests.wrongPassword))
        #expect(!log.contains("eyJ"), "a token (base64url JSON) reached the log")
    }
}
