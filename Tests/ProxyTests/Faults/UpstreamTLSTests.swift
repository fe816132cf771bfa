import Foundation
import Testing

/// Cistern's TLS client against real TLS upstreams (issue 6, item 1: "TLS handshake failure and
/// a certificate for the wrong host"): a docker-registry serving HTTPS with a certificate from
/// a test CA is pulled through when Cistern trusts that CA (its upstream `ca_file`), and refused
/// when it does not, when the certificate names another host, or when the port does not speak
/// TLS at all: 502 `UPSTREAM_ERROR` saying why (504 when the peer never answers the
/// ClientHello), no request ever reaches the upstream's HTTP layer, nothing is committed.
@Suite(.serialized) struct UpstreamTLSTests {
    /// A TLS, htpasswd-protected docker-registry seeded with a two-layer image.
    private struct SeededTLSRegistry {
        let registry: RegistryProcess
        let image: BuiltImage
        let certificateAuthority: TestCertificateAuthority
        static let repository = "private/app"
        static let username = "alice"
        static let password = "s3cret"

        static func start(in work: TemporaryDirectory) async throws -> SeededTLSRegistry {
            var options = RegistryProcess.Options()
            options.transport = .tls
            options.authentication = .htpasswd(username: username, password: password)
            let registry = try await RegistryProcess.start(options)
            let image = try await ImageBuilder(directory: work.url).image(
                name: "tls", layers: [.file(byteCount: 300_000), .file(byteCount: 20_000)], seed: 21)
            try await RegistrySeeder(registry: registry).push(image, repository: repository, tag: "1.0")
            try await registry.resetRequestLog()
            return SeededTLSRegistry(
                registry: registry, image: image, certificateAuthority: try #require(registry.certificateAuthority))
        }

        /// A Cistern for this registry with its credentials, trusting `caFile` (nil: the system
        /// trust store, which does not hold the test CA) or not verifying at all.
        func cistern(caFile: URL?, insecure: Bool = false) throws -> CisternInstance {
            try CisternInstance(upstream: registry.baseURL) { configuration in
                configuration.upstreams[0].username = Self.username
                configuration.upstreams[0].password = Self.password
                configuration.upstreams[0].caFile = caFile?.path
                configuration.upstreams[0].insecureSkipTLSVerify = insecure
            }
        }
    }

    @Test func skopeoPullsThroughCisternFromAnHTTPSRegistryWhoseCAItTrusts() async throws {
        let work = try TemporaryDirectory()
        let seeded = try await SeededTLSRegistry.start(in: work)
        let cistern = try seeded.cistern(caFile: seeded.certificateAuthority.caCertificateURL)

        let pulled = work.appending("pulled")
        try await Skopeo().copy("\(cistern.hostAndPort)/\(SeededTLSRegistry.repository):1.0", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        let manifest = try #require(seeded.image.manifests.first)
        #expect(verified.manifestDigest == seeded.image.root.digest)
        #expect(verified.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest))
        #expect(cistern.committedBlobDigests() == Set(seeded.image.blobs.map(\.digest)))
        for blob in seeded.image.blobs {
            #expect(try await seeded.registry.requestCount(method: "GET", pathSuffix: "/blobs/\(blob.digest)") == 1)
        }
    }

    @Test func aCertificateFromACANotTrustedIsRefusedWith502AndOnlyInsecureModeAcceptsIt() async throws {
        let work = try TemporaryDirectory()
        let seeded = try await SeededTLSRegistry.start(in: work)
        let blob = try #require(seeded.image.blobs.first)
        let path = "/v2/\(SeededTLSRegistry.repository)/blobs/\(blob.digest)"

        let verifying = try seeded.cistern(caFile: nil)
        for target in [path, "/v2/\(SeededTLSRegistry.repository)/manifests/1.0"] {
            let response = try TestHTTPClient.fetch(port: verifying.port, target)
            Self.expectTLSRefusal(response, mentioning: "certificate verification failed")
        }
        #expect(verifying.committedBlobDigests().isEmpty)
        // The handshake failed, so the registry never saw an HTTP request.
        #expect(try await seeded.registry.requests().isEmpty)

        // The same upstream with verification off: the certificate was the only obstacle.
        let insecure = try seeded.cistern(caFile: nil, insecure: true)
        let response = try TestHTTPClient.fetch(port: insecure.port, path)
        #expect(response.statusCode == 200)
        #expect(ContentDigest.of(response.body) == blob.digest)
    }

    @Test func aCertificateForAnotherHostFromATrustedCAIsRefusedWith502() async throws {
        let work = try TemporaryDirectory()
        let authority = try await TestCertificateAuthority.generate(in: work.url, subjectAltName: "DNS:registry.example.com")
        let server = try OpenSSLTestServer(certificate: authority)
        defer { server.stop() }
        let cistern = try CisternInstance(upstream: URL(string: "https://127.0.0.1:\(server.port)")!) { configuration in
            configuration.upstreams[0].caFile = authority.caCertificateURL.path
        }

        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(digest)")
        Self.expectTLSRefusal(response, mentioning: "certificate verification failed")
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.temporaryFiles().isEmpty)
    }

    @Test func aPlainHTTPServerAtAnHTTPSUpstreamFailsTheHandshakeWith502() throws {
        let server = try ImmediateBadRequestServer()
        defer { server.stop() }
        let cistern = try CisternInstance(upstream: URL(string: "https://127.0.0.1:\(server.port)")!)
        defer { cistern.stop() }

        let digest = "sha256:" + String(repeating: "cd", count: 32)
        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(digest)")
        Self.expectTLSRefusal(response, mentioning: "TLS failed")
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.temporaryFiles().isEmpty)
    }

    @Test func anHTTPSUpstreamThatNeverAnswersTheClientHelloTimesOutWith504() throws {
        // FakeUpstream speaks plain HTTP and waits for a request head that a ClientHello never
        // completes: the handshake counts against the connect timeout.
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(PseudoRandomBytes.make(byteCount: 10_000, seed: 1400))
        let cistern = try CisternInstance(upstream: URL(string: "https://127.0.0.1:\(upstream.port)")!) {
            $0.timeouts.upstreamConnect = .seconds(1)
        }
        defer { cistern.stop() }

        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(digest)")
        #expect(response.statusCode == 504)
        #expect(UpstreamFault.Expectation.errorCodes(response) == ["UPSTREAM_TIMEOUT"])
        if TimingAssertions.areEnabled {
            #expect(response.elapsed < .seconds(5), "answered after \(response.elapsed)")
        }
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(upstream.requests.isEmpty)
    }

    /// A complete 502 `UPSTREAM_ERROR` whose detail contains `reason`.
    private static func expectTLSRefusal(_ response: TestHTTPResponse, mentioning reason: String,
                                         sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.statusCode == 502, "\(response.statusLine ?? "no response")", sourceLocation: sourceLocation)
        #expect(response.isComplete, sourceLocation: sourceLocation)
        #expect(UpstreamFault.Expectation.errorCodes(response) == ["UPSTREAM_ERROR"], sourceLocation: sourceLocation)
        #expect(response.bodyText.contains(reason), "\(response.bodyText)", sourceLocation: sourceLocation)
    }
}
