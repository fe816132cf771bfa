import Foundation

/// A throwaway certificate authority and a server certificate it signed, by default for
/// `127.0.0.1` and `localhost` (subjectAltName IP and DNS; Go ignores the CN), made with the
/// `openssl` CLI.
/// P-256 keys, valid for two days, no passphrase.
struct TestCertificateAuthority: Sendable {
    /// The CA certificate (PEM) clients trust.
    let caCertificateURL: URL
    /// A directory holding only `ca.crt`, the layout skopeo's `--src-cert-dir` and
    /// `/etc/docker/certs.d/<host>` expect (`*.crt` files are CAs).
    let certificateDirectory: URL
    /// The server certificate (PEM).
    let serverCertificateURL: URL
    /// The server's private key (PEM, unencrypted).
    let serverKeyURL: URL

    /// Where Debian installs the CLI.
    static let opensslPath = "/usr/bin/openssl"

    /// Generates the CA and server certificate under `directory`.
    /// - Parameter subjectAltName: the server certificate's names, in `openssl` extension
    ///   syntax; another host's name makes a certificate that verifies but does not match.
    /// - Throws: `ChildProcess.Failure` when `openssl` is missing or fails.
    static func generate(
        in directory: URL, subjectAltName: String = "IP:127.0.0.1, DNS:localhost"
    ) async throws -> TestCertificateAuthority {
        let certificateDirectory = directory.appendingPathComponent("ca", isDirectory: true)
        try FileManager.default.createDirectory(at: certificateDirectory, withIntermediateDirectories: true)
        let caKey = directory.appendingPathComponent("ca.key")
        let caCertificate = certificateDirectory.appendingPathComponent("ca.crt")
        let serverKey = directory.appendingPathComponent("server.key")
        let serverRequest = directory.appendingPathComponent("server.csr")
        let serverCertificate = directory.appendingPathComponent("server.crt")
        let extensions = directory.appendingPathComponent("server.ext")
        try Data("""
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = \(subjectAltName)

            """.utf8).write(to: extensions)

        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _ = try await ChildProcess.run(opensslPath, ["req", "-x509"] + newKey + [
            "-keyout", caKey.path, "-out", caCertificate.path, "-days", "2",
            "-subj", "/CN=Cistern test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        _ = try await ChildProcess.run(opensslPath, ["req", "-new"] + newKey + [
            "-keyout", serverKey.path, "-out", serverRequest.path, "-subj", "/CN=localhost",
        ])
        _ = try await ChildProcess.run(opensslPath, [
            "x509", "-req", "-in", serverRequest.path, "-CA", caCertificate.path, "-CAkey", caKey.path,
            "-CAcreateserial", "-out", serverCertificate.path, "-days", "2", "-extfile", extensions.path,
        ])
        return TestCertificateAuthority(
            caCertificateURL: caCertificate, certificateDirectory: certificateDirectory,
            serverCertificateURL: serverCertificate, serverKeyURL: serverKey)
    }
}
