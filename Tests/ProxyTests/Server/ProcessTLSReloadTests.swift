import Foundation
import Glibc
import Testing

/// The `cistern` process on a TLS listen address (issue 14, part 2): it reports kTLS at
/// start-up, and SIGHUP serves a renewed certificate to new connections, or keeps the
/// running one when the new files are unusable.
@Suite(.serialized) struct ProcessTLSReloadTests {
    @Test func sighupServesTheRenewedCertificateAndRefusesAHalfWrittenOne() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-tls-sighup")
        let authority = try await TestCertificateAuthority.generateWithIntermediate(in: work.appending("first"))
        let renewed = try await TestCertificateAuthority.generateWithIntermediate(in: work.appending("renewed"))
        let certificate = work.appending("chain.pem")
        let key = work.appending("key.pem")
        try FileManager.default.copyItem(at: authority.serverCertificateURL, to: certificate)
        try FileManager.default.copyItem(at: authority.serverKeyURL, to: key)
        let configFile = work.appending("cistern.yaml")
        try Data("tag_ttl: 1h\n".utf8).write(to: configFile)
        let cistern = try CisternProcess(
            upstream: "http://127.0.0.1:9", cache: work.appending("cache"),
            extraArguments: ["--config", configFile.path, "--tls-certificate", certificate.path, "--tls-key", key.path],
            tlsCAFile: authority.caCertificateURL.path)
        defer { cistern.stop() }
        #expect(ProcessProbes.standardError(cistern).contains("TLS: the kernel offers"))
        let first = try TestTLSClient(port: cistern.port, caFile: authority.caCertificateURL.path)
        let firstFingerprint = first.peerCertificateSHA256

        try Data(contentsOf: renewed.serverCertificateURL).write(to: certificate)
        try Data(contentsOf: renewed.serverKeyURL).write(to: key)
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(5)) {
            ProcessProbes.standardError(cistern).contains("TLS certificate reloaded")
        }, "\(ProcessProbes.standardError(cistern))")
        let second = try TestTLSClient(port: cistern.port, caFile: renewed.caCertificateURL.path)
        #expect(second.peerCertificateSHA256 != firstFingerprint)
        // The connection opened before the reload goes on with its certificate.
        #expect(try first.request("/healthz").statusCode == 200)

        try Data("-----BEGIN CERTIFICATE-----\nhalf".utf8).write(to: certificate)
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(5)) {
            ProcessProbes.standardError(cistern).contains("configuration reload refused")
        })
        let refusal = ProcessProbes.standardError(cistern).split(separator: "\n").last { $0.contains("configuration reload refused") }
        // Named by the flag that set it (the whole configuration is validated first).
        #expect(refusal?.contains("--tls-certificate: invalid value") == true, "\(refusal ?? "")")
        let third = try TestTLSClient(port: cistern.port, caFile: renewed.caCertificateURL.path)
        #expect(third.peerCertificateSHA256 == second.peerCertificateSHA256)
        #expect(cistern.child.isRunning)
    }
}
