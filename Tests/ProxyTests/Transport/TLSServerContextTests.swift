import CEpoll
import Foundation
import Glibc
import Testing
@testable import ProxyTransport

/// The server half of the TLS shim and `TLSServerContext` (issue 14, part 2), without a
/// listener: a server session and a `cep_tls` client session on the two ends of a
/// non-blocking socketpair, each handshake step driven in turn.
@Suite struct TLSServerContextTests {
    /// A client and a server session over a socketpair; `handshake()` drives both to the end.
    final class Pair {
        let fds: [Int32]
        let server: OpaquePointer
        let client: OpaquePointer
        private let clientContext: OpaquePointer

        init(_ context: TLSServerContext, caFile: String?, alpn: [String]? = ["http/1.1"]) throws {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
                throw TestTLSClient.Failure(description: "socketpair: \(errno)")
            }
            self.fds = fds
            server = try #require(context.makeSession(fd: fds[0]))
            clientContext = try #require(cep_tls_client_ctx_new(caFile, caFile == nil ? 0 : 1))
            client = try #require(cep_tls_new(clientContext, fds[1], "127.0.0.1"))
            if let alpn {
                let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
                _ = cep_tls_set_alpn(client, wire, wire.count)
            }
        }

        deinit {
            cep_tls_free(server)
            cep_tls_free(client)
            cep_tls_ctx_free(clientContext)
            for fd in fds { close(fd) }
        }

        /// Alternates handshake steps until both finish (true) or either fails (false).
        func handshake() -> Bool {
            var serverDone = false
            var clientDone = false
            for _ in 0..<100 where !(serverDone && clientDone) {
                if !clientDone {
                    let rc = cep_tls_handshake(client)
                    if rc == 0 { clientDone = true } else if rc == CEP_TLS_ERROR { return false }
                }
                if !serverDone {
                    let rc = cep_tls_handshake(server)
                    if rc == 0 { serverDone = true } else if rc == CEP_TLS_ERROR { return false }
                }
            }
            return serverDone && clientDone
        }

        var peerCertificateSHA256: [UInt8] {
            var digest = [UInt8](repeating: 0, count: 32)
            _ = cep_tls_peer_certificate_sha256(client, &digest)
            return digest
        }
    }

    @Test func aClientVerifyingWithTheCAGetsTLS12OrLaterAndALPNHTTP11() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-server-basic")
        let authority = try await TestCertificateAuthority.generate(in: directory.url)
        let context = try TLSServerContext(certificatePath: authority.serverCertificateURL.path, keyPath: authority.serverKeyURL.path)
        let pair = try Pair(context, caFile: authority.caCertificateURL.path)
        #expect(pair.handshake())
        #expect(cep_tls_version(pair.client) >= 0x0303)
        var alpn = [CChar](repeating: 0, count: 32)
        cep_tls_alpn(pair.client, &alpn, alpn.count)
        #expect(String(cString: alpn) == "http/1.1")

        // Application bytes both ways.
        let request = Array("GET /v2/ HTTP/1.1\r\n\r\n".utf8)
        #expect(cep_tls_write(pair.client, request, request.count) == request.count)
        var received = [UInt8](repeating: 0, count: 64)
        let n = cep_tls_read(pair.server, &received, received.count)
        #expect(n == request.count && Array(received[0..<max(n, 0)]) == request)
    }

    @Test func aClientOfferingOnlyH2IsRefusedAndOneOfferingNoALPNIsServed() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-server-alpn")
        let authority = try await TestCertificateAuthority.generate(in: directory.url)
        let context = try TLSServerContext(certificatePath: authority.serverCertificateURL.path, keyPath: authority.serverKeyURL.path)
        #expect(!(try Pair(context, caFile: nil, alpn: ["h2"]).handshake()))
        let plain = try Pair(context, caFile: nil, alpn: nil)
        #expect(plain.handshake())
        var alpn = [CChar](repeating: 0, count: 32)
        cep_tls_alpn(plain.client, &alpn, alpn.count)
        #expect(String(cString: alpn) == "")
    }

    @Test func aChainFileSendsTheIntermediateSoAClientTrustingOnlyTheRootVerifies() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-server-chain")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: directory.url)
        let context = try TLSServerContext(certificatePath: authority.serverCertificateURL.path, keyPath: authority.serverKeyURL.path)
        let pair = try Pair(context, caFile: authority.caCertificateURL.path)
        #expect(pair.handshake())
        #expect(cep_tls_peer_chain_length(pair.client) == 2)

        // The leaf alone (no intermediate) does not verify against the root.
        let leafOnly = try TLSServerContext(
            certificatePath: directory.url.appendingPathComponent("leaf.crt").path, keyPath: authority.serverKeyURL.path)
        #expect(!(try Pair(leafOnly, caFile: authority.caCertificateURL.path).handshake()))
    }

    @Test func unusableFilesAreReportedByWhichFileIsAtFault() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-server-errors")
        let one = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("one"))
        let two = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("two"))
        let missing = directory.url.appendingPathComponent("missing.pem").path
        #expect(throws: TLSServerContextError.self) { try TLSServerContext(certificatePath: missing, keyPath: one.serverKeyURL.path) }
        do {
            _ = try TLSServerContext(certificatePath: one.serverCertificateURL.path, keyPath: two.serverKeyURL.path)
            Issue.record("a key of another certificate was accepted")
        } catch {
            guard case .keyDoesNotMatchCertificate = error else { Issue.record("\(error)"); return }
            #expect(error.faultyFile == "key")
        }
        do {
            _ = try TLSServerContext(certificatePath: one.serverCertificateURL.path, keyPath: one.serverCertificateURL.path)
            Issue.record("a certificate was accepted as a key")
        } catch {
            guard case .unusableKey = error else { Issue.record("\(error)"); return }
        }
    }

    /// The reload API (issue 14): new connections get the new certificate; a session made
    /// before the reload keeps the old one even if its handshake runs after; a reload from a
    /// broken file throws and keeps serving the last good certificate.
    @Test func reloadServesTheNewCertificateToNewConnectionsOnlyAndKeepsTheOldOnABrokenFile() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-server-reload")
        let first = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("first"))
        let second = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("second"))
        let certificate = directory.url.appendingPathComponent("served.crt")
        let key = directory.url.appendingPathComponent("served.key")
        try FileManager.default.copyItem(at: first.serverCertificateURL, to: certificate)
        try FileManager.default.copyItem(at: first.serverKeyURL, to: key)
        let context = try TLSServerContext(certificatePath: certificate.path, keyPath: key.path)
        let firstFingerprint = try Self.fingerprint(first.serverCertificateURL)
        let secondFingerprint = try Self.fingerprint(second.serverCertificateURL)

        let before = try Pair(context, caFile: nil)
        try Data(contentsOf: second.serverCertificateURL).write(to: certificate)
        try Data(contentsOf: second.serverKeyURL).write(to: key)
        try context.reload()
        let after = try Pair(context, caFile: nil)
        #expect(before.handshake() && after.handshake())
        #expect(before.peerCertificateSHA256 == firstFingerprint)
        #expect(after.peerCertificateSHA256 == secondFingerprint)

        try Data("not a certificate\n".utf8).write(to: certificate)
        #expect(throws: TLSServerContextError.self) { try context.reload() }
        // A half-replaced pair (new certificate, old key) is refused the same way.
        try Data(contentsOf: first.serverCertificateURL).write(to: certificate)
        #expect(throws: TLSServerContextError.self) { try context.reload() }
        let stillSecond = try Pair(context, caFile: nil)
        #expect(stillSecond.handshake())
        #expect(stillSecond.peerCertificateSHA256 == secondFingerprint)
    }

    @Test func kernelTLSAvailabilityIsReadFromTheKernel() {
        let ulp = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_available_ulp", encoding: .utf8)) ?? ""
        let loaded = ulp.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("tls")
            || FileManager.default.fileExists(atPath: "/sys/module/tls")
        if loaded { #expect(TLSServerContext.kernelOffersKTLSNow) }
    }

    /// SHA-256 of the DER form of a PEM certificate file.
    static func fingerprint(_ pem: URL) throws -> [UInt8] {
        let text = try String(contentsOf: pem, encoding: .utf8)
        let body = text.components(separatedBy: "-----BEGIN CERTIFICATE-----")[1].components(separatedBy: "-----END CERTIFICATE-----")[0]
        let der = try #require(Data(base64Encoded: body.replacingOccurrences(of: "\n", with: "")))
        return TestSHA256.hash(Array(der))
    }
}
