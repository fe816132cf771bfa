import Foundation

extension TestCertificateAuthority {
    /// A root CA, an intermediate CA it signed, and a server certificate the intermediate
    /// signed, made with the `openssl` CLI (P-256, two days). Clients trust the root only
    /// (`caCertificateURL`, `certificateDirectory`), so a handshake verifies only when the
    /// server sends the intermediate: `serverCertificateURL` is the *chain file* (leaf, then
    /// intermediate), as an operator would configure it.
    /// - Throws: `ChildProcess.Failure` when `openssl` is missing or fails.
    static func generateWithIntermediate(
        in directory: URL, subjectAltName: String = "IP:127.0.0.1, DNS:localhost"
    ) async throws -> TestCertificateAuthority {
        let certificateDirectory = directory.appendingPathComponent("ca", isDirectory: true)
        try FileManager.default.createDirectory(at: certificateDirectory, withIntermediateDirectories: true)
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let rootCertificate = certificateDirectory.appendingPathComponent("ca.crt")
        try Data("""
            basicConstraints = critical, CA:TRUE, pathlen:0
            keyUsage = critical, keyCertSign, cRLSign

            """.utf8).write(to: file("intermediate.ext"))
        try Data("""
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = \(subjectAltName)

            """.utf8).write(to: file("server.ext"))
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _ = try await ChildProcess.run(opensslPath, ["req", "-x509"] + newKey + [
            "-keyout", file("root.key").path, "-out", rootCertificate.path, "-days", "2",
            "-subj", "/CN=Cistern test root CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        _ = try await ChildProcess.run(opensslPath, ["req", "-new"] + newKey + [
            "-keyout", file("intermediate.key").path, "-out", file("intermediate.csr").path,
            "-subj", "/CN=Cistern test intermediate CA",
        ])
        _ = try await ChildProcess.run(opensslPath, [
            "x509", "-req", "-in", file("intermediate.csr").path, "-CA", rootCertificate.path,
            "-CAkey", file("root.key").path, "-CAcreateserial", "-out", file("intermediate.crt").path,
            "-days", "2", "-extfile", file("intermediate.ext").path,
        ])
        _ = try await ChildProcess.run(opensslPath, ["req", "-new"] + newKey + [
            "-keyout", file("server.key").path, "-out", file("server.csr").path, "-subj", "/CN=localhost",
        ])
        _ = try await ChildProcess.run(opensslPath, [
            "x509", "-req", "-in", file("server.csr").path, "-CA", file("intermediate.crt").path,
            "-CAkey", file("intermediate.key").path, "-CAcreateserial", "-out", file("leaf.crt").path,
            "-days", "2", "-extfile", file("server.ext").path,
        ])
        let chain = try Data(contentsOf: file("leaf.crt")) + Data(contentsOf: file("intermediate.crt"))
        try chain.write(to: file("chain.crt"))
        return TestCertificateAuthority(
            caCertificateURL: rootCertificate, certificateDirectory: certificateDirectory,
            serverCertificateURL: file("chain.crt"), serverKeyURL: file("server.key"))
    }
}
