import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

/// `tls: {certificate, key}` and `--tls-certificate` / `--tls-key` (issue 14, part 2):
/// read, printed back, and refused at start-up with the flag or key named when a file is
/// missing, unusable, the key is not the certificate's, or only one of the two is given.
@Suite struct TLSConfigurationTests {
    private static func key(of error: Error) -> String? {
        switch error as? ConfigurationError {
        case .invalidValue(let key, _, _), .missingKey(let key), .unknownKey(let key), .duplicateKey(let key): key
        default: nil
        }
    }

    /// The key named by the error `body` throws; "(accepted)" when it throws nothing.
    private static func keyOfFailure(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return "(accepted)"
        } catch {
            return key(of: error)
        }
    }

    @Test func yamlTLSIsReadValidatedAndPrintedBack() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-config-yaml")
        let authority = try await TestCertificateAuthority.generate(in: directory.url)
        let yaml = "tls:\n  certificate: \(authority.serverCertificateURL.path)\n  key: \(authority.serverKeyURL.path)\n"
        let configuration = try Configuration.load(yaml: yaml)
        #expect(configuration.tls == TLSListenerConfiguration(
            certificate: authority.serverCertificateURL.path, key: authority.serverKeyURL.path))
        #expect(try Configuration.load(yaml: configuration.yamlText) == configuration)
        #expect(Configuration.embeddedDefault.tls == nil)
        #expect(!Configuration.embeddedDefault.yamlText.contains("tls:"))
    }

    @Test func yamlTLSWithoutItsKeyOrWithAnUnknownKeyIsRefused() async throws {
        #expect(throws: ConfigurationError.missingKey(key: "tls.key")) {
            try Configuration.load(yaml: "tls:\n  certificate: /etc/cistern/chain.pem\n")
        }
        #expect(throws: ConfigurationError.missingKey(key: "tls.certificate")) {
            try Configuration.load(yaml: "tls:\n  key: /etc/cistern/key.pem\n")
        }
        #expect(throws: ConfigurationError.unknownKey(key: "tls.cert")) {
            try Configuration.load(yaml: "tls:\n  cert: a\n  certificate: b\n  key: c\n")
        }
    }

    @Test func onlyOneOfTheTwoFlagsIsRefusedNamingTheFlagGivenAndTheOneMissing() throws {
        var certificateOnly = ConfigurationOverrides()
        certificateOnly.tlsCertificate = "/etc/cistern/chain.pem"
        do {
            _ = try certificateOnly.applied(to: .embeddedDefault)
            Issue.record("--tls-certificate without --tls-key was accepted")
        } catch {
            #expect(Self.key(of: error) == "--tls-certificate")
            #expect("\(error)".contains("--tls-key"), "\(error)")
        }
        var keyOnly = ConfigurationOverrides()
        keyOnly.tlsKey = "/etc/cistern/key.pem"
        do {
            _ = try keyOnly.applied(to: .embeddedDefault)
            Issue.record("--tls-key without --tls-certificate was accepted")
        } catch {
            #expect(Self.key(of: error) == "--tls-key")
            #expect("\(error)".contains("--tls-certificate"), "\(error)")
        }
    }

    @Test func aMissingFileOrAKeyOfAnotherCertificateIsRefusedUnderItsFlagOrKey() async throws {
        let directory = try TemporaryDirectory(prefix: "tls-config-files")
        let one = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("one"))
        let two = try await TestCertificateAuthority.generate(in: directory.url.appendingPathComponent("two"))

        var missing = ConfigurationOverrides()
        missing.tlsCertificate = directory.url.appendingPathComponent("nope.pem").path
        missing.tlsKey = one.serverKeyURL.path
        do {
            _ = try missing.applied(to: .embeddedDefault)
            Issue.record("a missing certificate file was accepted")
        } catch {
            #expect(Self.key(of: error) == "--tls-certificate")
            #expect("\(error)".contains("No such file or directory"), "\(error)")
        }

        var mismatched = ConfigurationOverrides()
        mismatched.tlsCertificate = one.serverCertificateURL.path
        mismatched.tlsKey = two.serverKeyURL.path
        do {
            _ = try mismatched.applied(to: .embeddedDefault)
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect(Self.key(of: error) == "--tls-key")
            #expect("\(error)".contains("does not match the certificate"), "\(error)")
        }

        let yaml = "tls:\n  certificate: \(one.serverCertificateURL.path)\n  key: \(two.serverKeyURL.path)\n"
        #expect(Self.keyOfFailure { _ = try Configuration.load(yaml: yaml) } == "tls.key")

        // A flag completes the file's pair: the file's certificate with the flag's key.
        let partial = try Configuration.load(yaml: "tls:\n  certificate: \(one.serverCertificateURL.path)\n  key: \(one.serverKeyURL.path)\n")
        var keyFlag = ConfigurationOverrides()
        keyFlag.tlsKey = two.serverKeyURL.path
        #expect(Self.keyOfFailure { _ = try keyFlag.applied(to: partial) } == "--tls-key")
    }

    @Test func theExecutableRefusesToStartWithOnlyTheCertificateFlag() async throws {
        let run = try await ProcessStartupTests.runCistern(["serve", "--tls-certificate", "/etc/cistern/chain.pem"])
        #expect(run.termination == .exited(1))
        #expect(run.standardError.contains("Error: --tls-certificate: invalid value \"/etc/cistern/chain.pem\": needs the certificate's private key (--tls-key)"),
                "\(run.standardError)")
    }
}
