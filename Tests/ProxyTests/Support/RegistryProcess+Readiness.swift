import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension RegistryProcess {
    /// Query marking the fixtures' own requests, which `requests()` leaves out.
    static let fixtureQueryMarker = "cistern-fixture="

    /// Polls `GET /v2/` every 20 ms until it answers or `options.startTimeout` passes.
    /// - Throws: `Failure.exitedDuringStart` as soon as the process ends (with its log),
    ///   `Failure.didNotBecomeReady` after the timeout.
    func waitUntilReady(_ child: ChildProcess) async throws {
        let deadline = ContinuousClock.now.advanced(by: options.startTimeout)
        while true {
            if let termination = child.termination {
                throw Failure.exitedDuringStart(termination: termination, log: applicationLogTail())
            }
            if await probe(query: "\(Self.fixtureQueryMarker)probe") { return }
            guard ContinuousClock.now < deadline else {
                throw Failure.didNotBecomeReady(port: port, log: applicationLogTail())
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Sends `GET /v2/?<query>` and reports whether any HTTP response came back (200, or 401
    /// when auth is on). Over TLS it uses `openssl s_client` trusting only the test CA, so a
    /// true result also proves the certificate verifies for 127.0.0.1.
    func probe(query: String) async -> Bool {
        switch options.transport {
        case .plainHTTP:
            var request = URLRequest(url: URL(string: "\(baseURL.absoluteString)/v2/?\(query)")!)
            request.timeoutInterval = 2
            return (try? await LoopbackHTTP.send(request)) != nil
        case .tls:
            return await probeOverTLS(query: query)
        }
    }

    private func probeOverTLS(query: String) async -> Bool {
        guard let certificateAuthority else { return false }
        let requestFile = workDirectory.appending("probe-\(UUID().uuidString).http")
        defer { try? FileManager.default.removeItem(at: requestFile) }
        let request = "GET /v2/?\(query) HTTP/1.0\r\nHost: \(hostAndPort)\r\n\r\n"
        guard (try? Data(request.utf8).write(to: requestFile)) != nil else { return false }
        let result = try? await ChildProcess.run(
            TestCertificateAuthority.opensslPath,
            ["s_client", "-connect", hostAndPort, "-CAfile", certificateAuthority.caCertificateURL.path,
             "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet"],
            standardInput: requestFile, timeout: .seconds(5))
        return result.map { String(decoding: $0.standardOutput, as: UTF8.self).hasPrefix("HTTP/1.") } ?? false
    }
}
