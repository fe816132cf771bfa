import Foundation

/// The client configuration files operators install (`deploy/clients/…`), read as the
/// templates the client tests write: the same text with the mirror's address, and Docker
/// Hub's, replaced by the test's. So the shipped files are the ones the tests prove.
enum DeployedClientConfiguration {
    /// The mirror address the shipped files name.
    static let mirrorPlaceholder = "cistern.example:5000"

    /// A template named something it does not contain, or could not be read.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The repository's `deploy/` directory (this file is `Tests/ProxyTests/Support/…`).
    static var deployDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy")
    }

    /// `deploy/clients/docker/daemon.json` for a mirror at `mirror` (`host:port`).
    static func dockerDaemonJSON(mirror: String) throws -> String {
        try render("clients/docker/daemon.json", [(mirrorPlaceholder, mirror)])
    }

    /// `deploy/clients/containerd/hosts.toml` for a mirror at `mirror` in front of a Docker Hub
    /// at `http://<dockerHub>`.
    static func containerdHostsTOML(mirror: String, dockerHub: String) throws -> String {
        try render("clients/containerd/hosts.toml", [
            (mirrorPlaceholder, mirror), ("server = \"https://registry-1.docker.io\"", "server = \"http://\(dockerHub)\""),
        ])
    }

    /// `deploy/clients/podman/registries.conf` for a mirror at `mirror` in front of a Docker
    /// Hub at `dockerHub`.
    static func podmanRegistriesConf(mirror: String, dockerHub: String) throws -> String {
        try render("clients/podman/registries.conf", [
            (mirrorPlaceholder, mirror), ("location = \"docker.io\"", "location = \"\(dockerHub)\""),
        ])
    }

    /// The file at `path` under `deploy/` with every `(text, replacement)` applied.
    /// - Throws: `Failure` when the file is unreadable or a text does not occur in it (the
    ///   shipped file changed shape: the test must follow).
    static func render(_ path: String, _ replacements: [(text: String, replacement: String)]) throws -> String {
        let url = deployDirectory.appendingPathComponent(path)
        guard var text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Failure(description: "cannot read \(url.path)")
        }
        for (original, replacement) in replacements {
            guard text.contains(original) else { throw Failure(description: "\(url.path) no longer contains \(original)") }
            text = text.replacingOccurrences(of: original, with: replacement)
        }
        return text
    }
}
