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

    /// OpenSSL keeps errors in a per-thread queue that `SSL_get_error` consults. Two TLS upstream
    /// connections on one loop (one worker): the first (`two`) is mid-body, held by its relay;
    /// the second (`one`) gets a record whose integrity check fails and is torn down; then the
    /// first's remaining bytes arrive. Its next would-block read must not be mistaken for that
    /// stale error: it completes and its bytes hash to the digest.
    @Test func aTLSErrorOnOneUpstreamConnectionDoesNotFailAnotherOnTheSameLoop() async throws {
        let work = try TemporaryDirectory()
        var options = RegistryProcess.Options()
        options.transport = .tls
        let registry = try await RegistryProcess.start(options)
        let image = try await ImageBuilder(directory: work.url).image(
            name: "isolation", layers: [.file(byteCount: 1_000_000), .file(byteCount: 1_000_000)], seed: 22)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "1.0")
        let authority = try #require(registry.certificateAuthority)
        let layers = try #require(image.manifests.first).layers
        let (healthyDigest, brokenDigest) = (layers[0].digest, layers[1].digest)

        let corrupting = try SwitchableOrigin()
        defer { corrupting.stop() }
        try corrupting.set(.relayingCorrupted(toPort: registry.port, byteOffset: 200_000))
        let holding = try SwitchableOrigin()
        defer { holding.stop() }
        try holding.set(.relayingHeld(toPort: registry.port, afterByteCount: 300_000))
        let cistern = try CisternInstance(upstreams: [
            ("one", "https://127.0.0.1:\(corrupting.port)"), ("two", "https://127.0.0.1:\(holding.port)"),
        ]) { configuration in
            configuration.workers = 1
            for index in configuration.upstreams.indices {
                configuration.upstreams[index].caFile = authority.caCertificateURL.path
            }
        }
        defer { cistern.stop() }

        let healthy = Locked<Result<TestHTTPResponse, any Error>?>(nil)
        let port = cistern.port
        let healthyClient = TestThread.start {
            let result = Result<TestHTTPResponse, any Error> { try TestHTTPClient.fetch(port: port, "/v2/team/app/blobs/\(healthyDigest)?ns=two",
                                                           options: .init(timeout: .seconds(30))) }
            healthy.withLock { $0 = result }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while holding.heldConnectionCount == 0, ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(5))
        }
        #expect(holding.heldConnectionCount == 1, "the healthy transfer never got mid-body")

        let broken = try TestHTTPClient.fetch(port: port, "/v2/team/app/blobs/\(brokenDigest)?ns=one",
                                              options: .init(timeout: .seconds(20)))
        // Each connection of the corrupting relay fails its TLS integrity check after about
        // 200 kB; the fill resumes on a fresh connection each time (at most five), so the
        // blob may arrive whole, but then only with its own verified bytes.
        let brokenServedWhole = broken.statusCode == 200 && broken.isComplete
        if brokenServedWhole {
            #expect(ContentDigest.of(broken.body) == brokenDigest, "a corrupted TLS stream was served as the blob")
        }
        holding.releaseHeldBytes()
        healthyClient.join()

        let response = try #require(try healthy.withLock { $0 }?.get())
        let (status, complete, digest) = (response.statusCode, response.isComplete, ContentDigest.of(response.body))
        #expect(status == 200)
        #expect(complete, "the healthy transfer ended \(response.ending) after \(response.body.count) bytes")
        #expect(digest == healthyDigest)
        #expect(cistern.committedBlobDigests() == (brokenServedWhole ? Set([healthyDigest, brokenDigest]) : [healthyDigest]))
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
