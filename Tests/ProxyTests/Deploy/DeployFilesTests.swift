import Foundation
import Testing
@testable import ProxyConfig

/// The files in `deploy/` (issue 14): the systemd unit passes `systemd-analyze verify` and
/// keeps the settings the drain and the cache need; the client files are the ones the client
/// tests write (`DeployedClientConfiguration`) and the README shows.
@Suite struct DeployFilesTests {
    static let unit = DeployedClientConfiguration.deployDirectory.appendingPathComponent("cistern.service")

    /// The unit's `Key=value` lines, in order (comments and sections left out).
    static func directives() throws -> [(key: String, value: String)] {
        try String(contentsOf: unit, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    /// With its binary path pointed at the built `cistern`, systemd finds nothing to say about
    /// the unit (an unknown key, a bad value, a missing executable are all printed).
    @Test func systemdAnalyzeVerifiesTheUnit() async throws {
        let directory = try TemporaryDirectory(prefix: "cistern-unit")
        let text = try String(contentsOf: Self.unit, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/local/bin/cistern serve"))
        let copy = directory.appending("cistern.service")
        try Data(text.replacingOccurrences(of: "/usr/local/bin/cistern", with: CisternProcess.executablePath).utf8).write(to: copy)
        let result = try await ChildProcess.run("/usr/bin/systemd-analyze", ["verify", copy.path])
        #expect(String(decoding: result.standardError, as: UTF8.self) == "")
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "")
    }

    @Test func theUnitIsHardenedAndOutlastsTheDrain() throws {
        let directives = try Self.directives()
        func value(_ key: String) -> String? { directives.last { $0.key == key }?.value }
        #expect(value("DynamicUser") == "yes")
        #expect(value("ProtectSystem") == "strict")
        #expect(value("ProtectHome") == "yes")
        #expect(value("PrivateTmp") == "yes")
        #expect(value("NoNewPrivileges") == "yes")
        #expect(value("CacheDirectory") == "cistern")
        #expect(value("ExecStart")?.contains("--cache-dir /var/cache/cistern") == true)
        #expect(value("ExecReload") == "/bin/kill -HUP $MAINPID")
        #expect(value("KillSignal") == "SIGTERM")
        #expect(value("RestrictAddressFamilies")?.split(separator: " ").contains("AF_INET6") == true)
        #expect(Int(value("LimitNOFILE") ?? "") ?? 0 >= 65_536)
        let stopSeconds = try #require(Int(value("TimeoutStopSec") ?? ""))
        let defaults = Configuration.embeddedDefault
        #expect(.seconds(stopSeconds) > defaults.drainDelay + defaults.drainTimeout)
    }

    @Test func theClientFilesRenderForTheTestsMirror() throws {
        let docker = try DeployedClientConfiguration.dockerDaemonJSON(mirror: "127.0.0.1:5555")
        let json = try #require(JSONSerialization.jsonObject(with: Data(docker.utf8)) as? [String: [String]])
        #expect(json == ["registry-mirrors": ["http://127.0.0.1:5555"], "insecure-registries": ["127.0.0.1:5555"]])

        let containerd = try DeployedClientConfiguration.containerdHostsTOML(mirror: "127.0.0.1:5555", dockerHub: "127.0.0.1:9")
        #expect(Self.settings(containerd) == [
            #"server = "http://127.0.0.1:9""#, #"[host."http://127.0.0.1:5555"]"#, #"capabilities = ["pull", "resolve"]"#,
        ])
        let podman = try DeployedClientConfiguration.podmanRegistriesConf(mirror: "127.0.0.1:5555", dockerHub: "127.0.0.1:9")
        #expect(Self.settings(podman) == [
            "[[registry]]", #"prefix = "docker.io""#, #"location = "127.0.0.1:9""#,
            "[[registry.mirror]]", #"location = "127.0.0.1:5555""#, "insecure = true",
        ])
    }

    /// Each client file, without its comments, is the README's snippet for that client.
    @Test func theReadmeShowsTheShippedClientFiles() throws {
        let readme = try String(contentsOf: DeployedClientConfiguration.deployDirectory.deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        for path in ["clients/docker/daemon.json", "clients/containerd/hosts.toml", "clients/podman/registries.conf"] {
            let file = try DeployedClientConfiguration.render(path, [])
            let withoutComments = file.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
            #expect(readme.contains(withoutComments), "README does not show \(path) as shipped:\n\(withoutComments)")
        }
    }

    /// The non-blank, non-comment lines of a TOML file, trimmed.
    private static func settings(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
