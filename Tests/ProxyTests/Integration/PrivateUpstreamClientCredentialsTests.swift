import Foundation
import Testing

/// A private upstream under `credentials: client` (issue 17 items 3, 4 and 6): a real
/// docker-registry over TLS with htpasswd (bcrypt) behind a `cistern` process. Clients send their own
/// Basic credentials straight to the registry endpoints (as curl and scripts do).
/// - a client with rights pulls, byte for byte the upstream's digests;
/// - one HEAD confirms a whole pull (the upstream's access log counts it);
/// - a wrong password, an unknown user and an anonymous client get 401 with a challenge on
///   content that is already cached, and nothing of it;
/// - no password or Basic value appears in Cistern's log or access log.
@Suite(.serialized) struct PrivateUpstreamClientCredentialsTests {
    static let repository = "private/app"
    static let username = "alice"
    static let password = "Alice-PW-7f3e91"
    static let wrongPassword = "Wrong-PW-c41d07"

    /// The htpasswd-protected registry, seeded with a two-layer image as `private/app:1.0`.
    struct Seeded {
        let registry: RegistryProcess
        let image: BuiltImage
        let work: TemporaryDirectory

        static func start() async throws -> Seeded {
            let work = try TemporaryDirectory(prefix: "cistern-client-creds")
            var options = RegistryProcess.Options()
            // TLS, as a private registry is; the fixture's readiness probe also needs it with
            // htpasswd (URLSession never returns from a plain-HTTP 401 Basic challenge).
            options.transport = .tls
            options.authentication = .htpasswd(username: username, password: password)
            let registry = try await RegistryProcess.start(options)
            let image = try await ImageBuilder(directory: work.url).image(
                name: "private", layers: [.file(byteCount: 200_000), .file(byteCount: 30_000)], seed: 17)
            try await RegistrySeeder(registry: registry).push(image, repository: repository, tag: "1.0")
            try await registry.resetRequestLog()
            return Seeded(registry: registry, image: image, work: work)
        }

        /// A `cistern serve` whose `private/*` route goes to the registry under `credentials:
        /// client`, with debug logging and the access log on stderr. (`--upstream`, which the
        /// fixture always passes, replaces the default remote `public`, which no route uses.)
        func cistern(cache: URL) throws -> CisternProcess {
            let configFile = work.appending("cistern-\(UUID().uuidString).yaml")
            try Data("""
                default_upstream: public
                registries:
                  - name: public
                    url: http://127.0.0.1:9
                  - name: private
                    url: \(registry.baseURL.absoluteString)
                    ca_file: \(registry.caCertificateURL!.path)
                    credentials: client
                    client_access_ttl: 1h
                routes:
                  - match: "private/*"
                    registry: private
                tag_ttl: 1h

                """.utf8).write(to: configFile)
            return try CisternProcess(upstream: "http://127.0.0.1:9", cache: cache, extraArguments: [
                "--config", configFile.path, "--access-log", "--log-level", "debug",
            ])
        }
    }

    static func basic(_ user: String, _ password: String) -> [(String, String)] {
        [("Authorization", TestHTTPClient.basicAuthorization(username: user, password: password))]
    }

    /// GETs the manifest by tag and every blob it names; each answer's status and the digest of
    /// its body.
    static func pull(port: UInt16, image: BuiltImage, headers: [(String, String)]) throws -> [(target: String, status: Int, digest: String)] {
        let accept = [("Accept", image.root.mediaType)]
        let targets = ["/v2/\(repository)/manifests/1.0"] + image.blobs.map { "/v2/\(repository)/blobs/\($0.digest)" }
        return try targets.map { target in
            let response = try TestHTTPClient.fetch(port: port, target, headers: headers + accept)
            return (target, response.statusCode ?? 0, TestSHA256.digest(response.body))
        }
    }

    @Test func aClientWithRightsPullsTheUpstreamsBytesAndOneHEADConfirmsAWholePull() async throws {
        let seeded = try await Seeded.start()
        let cache = try TemporaryDirectory(prefix: "cistern-client-creds-cache")
        let alice = Self.basic(Self.username, Self.password)
        let expected = [seeded.image.root.digest] + seeded.image.blobs.map(\.digest)

        let first = try seeded.cistern(cache: cache.url)
        let pulled = try Self.pull(port: first.port, image: seeded.image, headers: alice)
        #expect(pulled.map(\.status) == Array(repeating: 200, count: expected.count), "\(pulled)")
        #expect(pulled.map(\.digest) == expected)
        // Within client_access_ttl the same credential pulls again from the cache alone.
        try await seeded.registry.resetRequestLog()
        #expect(try Self.pull(port: first.port, image: seeded.image, headers: alice).map(\.digest) == expected)
        #expect(try await seeded.registry.requests().isEmpty)
        #expect(first.stop() == .exited(0))

        // A new process knows no confirmation: everything is cached, and one HEAD confirms it all.
        try await seeded.registry.resetRequestLog()
        let second = try seeded.cistern(cache: cache.url)
        let again = try Self.pull(port: second.port, image: seeded.image, headers: alice)
        #expect(again.map(\.digest) == expected)
        let requests = try await seeded.registry.requests()
        let answered = requests.filter { $0.status != 401 }  // the Basic challenge before the credential is sent
        #expect(answered.map { "\($0.method) \($0.path) \($0.status)" } == ["HEAD /v2/\(Self.repository)/manifests/1.0 200"], "\(requests)")
        second.stop()
    }

    @Test func wrongUnknownAndAnonymousClientsGet401OnCachedContentAndNoLogShowsACredential() async throws {
        let seeded = try await Seeded.start()
        let cache = try TemporaryDirectory(prefix: "cistern-client-creds-cache")
        let cistern = try seeded.cistern(cache: cache.url)
        let expected = [seeded.image.root.digest] + seeded.image.blobs.map(\.digest)
        #expect(try Self.pull(port: cistern.port, image: seeded.image, headers: Self.basic(Self.username, Self.password))
            .map(\.digest) == expected)

        let manifestByDigest = "/v2/\(Self.repository)/manifests/\(seeded.image.root.digest)"
        let layer = "/v2/\(Self.repository)/blobs/\(seeded.image.layers[0].digest)"
        let refused: [(name: String, headers: [(String, String)])] = [
            ("wrong password", Self.basic(Self.username, Self.wrongPassword)),
            ("unknown user", Self.basic("mallory", Self.password)),
            ("anonymous", []),
        ]
        for client in refused {
            for pulledTarget in try Self.pull(port: cistern.port, image: seeded.image, headers: client.headers) {
                #expect(pulledTarget.status == 401, "\(client.name) \(pulledTarget.target)")
                #expect(!expected.contains(pulledTarget.digest), "\(client.name) got cached bytes of \(pulledTarget.target)")
            }
            for (method, target) in [("GET", manifestByDigest), ("HEAD", manifestByDigest), ("HEAD", layer)] {
                let response = try TestHTTPClient.fetch(port: cistern.port, method: method, target, headers: client.headers)
                #expect(response.statusCode == 401, "\(client.name) \(method) \(target)")
                #expect(response.header("WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
                #expect(response.header("Docker-Content-Digest") == nil)
            }
        }
        // The right credential still pulls: a refusal of others is not remembered for it.
        #expect(try Self.pull(port: cistern.port, image: seeded.image, headers: Self.basic(Self.username, Self.password))
            .map(\.status) == Array(repeating: 200, count: expected.count))

        cistern.stop()
        let log = String(decoding: cistern.child.standardError(), as: UTF8.self)
        #expect(log.contains(" GET /v2/\(Self.repository)/manifests/1.0 401 "), "the access log was written: \(log.suffix(2000))")
        for secret in [Self.password, Self.wrongPassword] + [
            (Self.username, Self.password), (Self.username, Self.wrongPassword), ("mallory", Self.password),
        ].map({ TestHTTPClient.basicAuthorization(username: $0.0, password: $0.1).dropFirst("Basic ".count).description }) {
            #expect(!log.contains(secret), "a credential reached the log")
        }
    }
}
