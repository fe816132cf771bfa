import Foundation
import Glibc

/// Debian's HAProxy 2.6 (`/usr/sbin/haproxy`, package `haproxy`) running `deploy/haproxy.cfg`
/// in the foreground (`-db`) on a free loopback port, in front of the given Cistern nodes.
///
/// The file is used as shipped except for its host-specific lines, exactly the ones an operator
/// edits: the `bind` line becomes `bind 127.0.0.1:<port>` and the `server` lines name the nodes.
/// `start` returns once a request through HAProxy reaches a node (`GET /v2/` answers 200), so no
/// test sleeps for it. `stop()` (also on deinit) sends SIGTERM, then SIGKILL.
final class HAProxyProcess: Sendable {
    /// The binary.
    static let executablePath = "/usr/sbin/haproxy"
    /// The shipped configuration.
    static let shippedConfiguration = DeployedClientConfiguration.deployDirectory.appendingPathComponent("haproxy.cfg")

    /// Errors starting it.
    enum Failure: Error, CustomStringConvertible {
        /// The shipped file has no `bind` line or no `server` line to replace.
        case unexpectedConfiguration(String)
        /// Nothing answered through it before the deadline.
        case didNotStart(standardError: String)

        var description: String {
            switch self {
            case .unexpectedConfiguration(let detail): "deploy/haproxy.cfg: \(detail)"
            case .didNotStart(let standardError): "haproxy did not start; stderr: \(standardError)"
            }
        }
    }

    let child: ChildProcess
    /// The frontend's port on 127.0.0.1.
    let port: UInt16
    /// The configuration file it runs.
    let configurationFile: URL
    private let directory: TemporaryDirectory

    /// `127.0.0.1:PORT`, for skopeo's `docker://` references.
    var hostAndPort: String { "127.0.0.1:\(port)" }

    /// - Parameter nodePorts: the Cistern nodes on 127.0.0.1, in `server cistern1...N` order.
    /// - Throws: `Failure`, or a spawn error (HAProxy not installed).
    init(nodePorts: [UInt16], startTimeout: Duration = .seconds(20)) throws {
        directory = try TemporaryDirectory(prefix: "cistern-haproxy")
        port = try FreePort.loopback()
        let text = try Self.configuration(frontendPort: port, nodePorts: nodePorts)
        configurationFile = directory.url.appendingPathComponent("haproxy.cfg")
        try text.write(to: configurationFile, atomically: true, encoding: .utf8)
        child = try ChildProcess(executablePath: Self.executablePath, arguments: ["-db", "-f", configurationFile.path])
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline, child.isRunning {
            if let response = try? TestHTTPClient.fetch(port: port, "/v2/", options: .init(timeout: .seconds(1))),
               response.statusCode == 200 { return }
            usleep(20_000)
        }
        let standardError = String(decoding: child.standardError(), as: UTF8.self)
        child.stop()
        throw Failure.didNotStart(standardError: standardError)
    }

    deinit { stop() }

    /// Stops HAProxy (SIGTERM, then SIGKILL); idempotent.
    func stop() {
        child.stop()
    }

    /// The shipped file with its `bind` line on `frontendPort` and one `server` line per node.
    static func configuration(frontendPort: UInt16, nodePorts: [UInt16]) throws -> String {
        let shipped = try String(contentsOf: shippedConfiguration, encoding: .utf8)
        var lines: [String] = []
        var bindCount = 0
        var serverCount = 0
        for line in shipped.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("bind ") {
                bindCount += 1
                lines.append("    bind 127.0.0.1:\(frontendPort)")
            } else if trimmed.hasPrefix("server ") {
                if serverCount == 0 {
                    for (index, nodePort) in nodePorts.enumerated() {
                        lines.append("    server cistern\(index + 1) 127.0.0.1:\(nodePort)")
                    }
                }
                serverCount += 1
            } else {
                lines.append(String(line))
            }
        }
        guard bindCount == 1, serverCount > 0 else {
            throw Failure.unexpectedConfiguration("expected one bind line and server lines, found \(bindCount) and \(serverCount)")
        }
        return lines.joined(separator: "\n")
    }
}
