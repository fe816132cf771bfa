import Foundation
import Glibc
import Testing
@testable import Proxy
@testable import ProxyConfig
@testable import ProxyRegistry
@testable import ProxyTransport

/// A TLS listen address (issue 14, part 2) end to end against an in-process Cistern: bytes
/// and digests over TLS for misses (streamed) and hits (pread + SSL_write), plain HTTP
/// answered 400, silent and slow clients bounded, the certificate reloaded for new
/// connections.
@Suite struct TLSListenerTests {
    /// A Cistern on a TLS listen address in front of a fake upstream holding one blob.
    struct Setup {
        let directory: TemporaryDirectory
        let authority: TestCertificateAuthority
        let upstream: FakeUpstream
        let cistern: CisternInstance
        let blob: [UInt8]
        let digest: String
        var path: String { "/v2/team/app/blobs/\(digest)" }
        var caFile: String { authority.caCertificateURL.path }

        init(blobByteCount: Int = 3 << 20, seed: UInt64, configure: (inout Configuration) -> Void = { _ in }) async throws {
            directory = try TemporaryDirectory(prefix: "cistern-tls-listener")
            authority = try await TestCertificateAuthority.generateWithIntermediate(in: directory.url)
            upstream = try FakeUpstream()
            blob = PseudoRandomBytes.make(byteCount: blobByteCount, seed: seed)
            digest = upstream.addBlob(blob)
            let tls = TLSListenerConfiguration(certificate: authority.serverCertificateURL.path, key: authority.serverKeyURL.path)
            cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { configuration in
                configuration.tls = tls
                configure(&configuration)
            }
        }

        func stop() {
            cistern.stop()
            upstream.stop()
        }
    }

    @Test func aMissAndAHitAreServedOverTLSWithTheBlobsBytesOnOneKeepAliveConnection() async throws {
        let setup = try await Setup(seed: 1401)
        defer { setup.stop() }
        let client = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        defer { client.close() }
        #expect(client.alpn == "http/1.1")
        #expect(client.version >= 0x0303)
        #expect(client.peerChainLength == 2)

        let base = try client.request("/v2/")
        #expect(base.statusCode == 200 && base.bodyText == "{}")
        let miss = try client.request(setup.path)
        #expect(miss.statusCode == 200 && miss.isComplete)
        #expect(ContentDigest.of(miss.body) == setup.digest)
        setup.cistern.waitForFillsToSettle()
        let hit = try client.request(setup.path)
        #expect(hit.statusCode == 200 && hit.isComplete)
        #expect(ContentDigest.of(hit.body) == setup.digest)
        let range = try client.request(setup.path, headers: [("Range", "bytes=1000-")])
        #expect(range.statusCode == 206 && range.body == Array(setup.blob[1000...]))
        #expect(setup.upstream.requestCount(method: "GET", path: setup.path) == 1)
    }

    @Test func plainHTTPOnTheTLSPortGets400SayingThePortSpeaksTLSAndAClose() async throws {
        let setup = try await Setup(blobByteCount: 16, seed: 1402)
        defer { setup.stop() }
        let client = try TestHTTPClient(port: setup.cistern.port)
        defer { client.close() }
        let response = try client.request("GET", "/v2/", options: .init(timeout: .seconds(5)))
        #expect(response.statusCode == 400)
        #expect(response.isComplete)
        #expect(response.bodyText.contains("this port speaks TLS"), "\(response.bodyText)")
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.readRemaining(timeout: .seconds(5)).ending == .complete)
        // The port still speaks TLS to the next client.
        let tls = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        #expect(try tls.request("/v2/").statusCode == 200)
    }

    /// The request-head deadline covers the handshake: a client that connects and sends
    /// nothing, and one that stops halfway through its ClientHello, are both closed.
    @Test func silentAndHalfHandshakeClientsAreClosedAfterTheRequestHeadTimeout() async throws {
        let setup = try await Setup(blobByteCount: 16, seed: 1403) { $0.timeouts.requestHead = .milliseconds(400) }
        defer { setup.stop() }
        let silent = try TestSocket.connectToLoopback(port: setup.cistern.port)
        defer { silent.close() }
        let halfHello = try TestSocket.connectToLoopback(port: setup.cistern.port)
        defer { halfHello.close() }
        try halfHello.sendAll([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])  // a record header and 1 byte of 512
        let start = ContinuousClock.now
        for socket in [silent, halfHello] {
            let answer = socket.receive(maxByteCount: 4096, timeout: .seconds(10))
            #expect(answer == .endOfStream || answer == .reset, "\(answer)")
        }
        let elapsed = ContinuousClock.now - start
        if TimingAssertions.areEnabled {
            #expect(elapsed >= .milliseconds(300), "closed after \(elapsed)")
            #expect(elapsed < .seconds(3), "closed only after \(elapsed)")
        }
    }

    /// A TLS client that stops reading a 16 MiB hit, and one stuck in its handshake, never
    /// slow a third client on the same loop (one worker).
    @Test func aStalledTLSClientDoesNotSlowAnother() async throws {
        let setup = try await Setup(blobByteCount: 16 << 20, seed: 1404) { $0.workers = 1 }
        defer { setup.stop() }
        let warm = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        #expect(ContentDigest.of(try warm.request(setup.path).body) == setup.digest)
        warm.close()
        setup.cistern.waitForFillsToSettle()

        let stalled = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        defer { stalled.close() }
        try stalled.send(Array("GET \(setup.path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let stuckInHandshake = try TestSocket.connectToLoopback(port: setup.cistern.port)
        defer { stuckInHandshake.close() }
        try stuckInHandshake.sendAll([0x16, 0x03, 0x01])

        let start = ContinuousClock.now
        let other = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile, timeout: .seconds(20))
        defer { other.close() }
        let response = try other.request(setup.path)
        #expect(response.statusCode == 200 && response.isComplete)
        #expect(ContentDigest.of(response.body) == setup.digest)
        if TimingAssertions.areEnabled { #expect(ContinuousClock.now - start < .seconds(5)) }
        // The stalled client still gets its whole blob once it reads.
        let late = stalled.readResponse()
        #expect(late.isComplete && ContentDigest.of(late.body) == setup.digest)
    }

    /// `CisternServer.reloadTLSCertificate()` (the SIGHUP hook): new connections get the new
    /// certificate, an open keep-alive connection goes on with the old one, and a broken
    /// file is refused with the certificate in use kept.
    @Test func reloadingServesTheNewCertificateToNewConnectionsWhileOpenOnesGoOn() async throws {
        let setup = try await Setup(blobByteCount: 16, seed: 1405)
        defer { setup.stop() }
        let renewed = try await TestCertificateAuthority.generateWithIntermediate(in: setup.directory.url.appendingPathComponent("renewed"))
        let before = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        defer { before.close() }
        let oldFingerprint = before.peerCertificateSHA256

        try Data(contentsOf: renewed.serverCertificateURL).write(to: setup.authority.serverCertificateURL)
        try Data(contentsOf: renewed.serverKeyURL).write(to: setup.authority.serverKeyURL)
        #expect(try setup.cistern.server.reloadTLSCertificate())

        let after = try TestTLSClient(port: setup.cistern.port, caFile: renewed.caCertificateURL.path)
        defer { after.close() }
        #expect(after.peerCertificateSHA256 != oldFingerprint)
        #expect(try after.request("/v2/").statusCode == 200)
        #expect(try before.request("/v2/").statusCode == 200)
        #expect(before.peerCertificateSHA256 == oldFingerprint)

        try Data("-----BEGIN CERTIFICATE-----\ntruncated".utf8).write(to: setup.authority.serverCertificateURL)
        #expect(throws: TLSServerContextError.self) { try setup.cistern.server.reloadTLSCertificate() }
        let still = try TestTLSClient(port: setup.cistern.port, caFile: renewed.caCertificateURL.path)
        #expect(still.peerCertificateSHA256 == after.peerCertificateSHA256)
    }
}

/// The certificate reload as part of the configuration reload (SIGHUP's path,
/// `CisternServer.reload(to:)`).
@Suite struct TLSConfigurationReloadTests {
    @Test func aConfigurationReloadServesTheRenewedCertificateAndUnusableFilesRefuseTheWholeReload() async throws {
        let setup = try await TLSListenerTests.Setup(blobByteCount: 16, seed: 1406)
        defer { setup.stop() }
        let renewed = try await TestCertificateAuthority.generateWithIntermediate(in: setup.directory.url.appendingPathComponent("renewed"))
        let before = try TestTLSClient(port: setup.cistern.port, caFile: setup.caFile)
        let oldFingerprint = before.peerCertificateSHA256
        before.close()

        try Data(contentsOf: renewed.serverCertificateURL).write(to: setup.authority.serverCertificateURL)
        try Data(contentsOf: renewed.serverKeyURL).write(to: setup.authority.serverKeyURL)
        var configuration = setup.cistern.server.currentConfiguration
        configuration.tagTTL = .seconds(7)
        #expect(setup.cistern.server.reload(to: configuration))
        let after = try TestTLSClient(port: setup.cistern.port, caFile: renewed.caCertificateURL.path)
        defer { after.close() }
        #expect(after.peerCertificateSHA256 != oldFingerprint)
        #expect(setup.cistern.server.currentConfiguration.tagTTL == .seconds(7))

        // A half-renewed pair (the certificate with another key): nothing changes.
        try Data(contentsOf: setup.directory.url.appendingPathComponent("intermediate.key")).write(to: setup.authority.serverKeyURL)
        configuration.tagTTL = .seconds(9)
        #expect(!setup.cistern.server.reload(to: configuration))
        #expect(setup.cistern.server.currentConfiguration.tagTTL == .seconds(7))
        let still = try TestTLSClient(port: setup.cistern.port, caFile: renewed.caCertificateURL.path)
        #expect(still.peerCertificateSHA256 == after.peerCertificateSHA256)
    }
}
