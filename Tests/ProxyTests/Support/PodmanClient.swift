import Foundation

/// podman (Debian's podman 4.3) as a `ContainerClient`, pulling `docker.io/…` with a
/// `registries.conf` that sends `docker.io` to a closed loopback port and lists Cistern as its
/// plain-HTTP mirror (the shipped `deploy/clients/podman/registries.conf`, addresses replaced):
/// ```toml
/// [[registry]]
/// prefix = "docker.io"
/// location = "127.0.0.1:<closed port>"
/// [[registry.mirror]]
/// location = "127.0.0.1:<cistern port>"
/// insecure = true
/// ```
/// Each pull uses a new store (`--root`, `--runroot`, `--tmpdir` in a short `/tmp/cpm.XXXXXX`,
/// because podman refuses run roots longer than about 50 characters; vfs storage, which needs
/// no mounts), so it always downloads everything and nothing outlives the pull.
/// podman probes the mirror with TLS first and falls back to HTTP; it sends its Accept types as
/// six separate header lines and opens a new connection per blob.
struct PodmanClient: ContainerClient {
    /// The binary.
    static let executablePath = "/usr/bin/podman"

    /// Holds `registries.conf`, `storage.conf` and `containers.conf`.
    let configurationDirectory: TemporaryDirectory
    /// With a TLS mirror: the directory of `ca.crt` podman trusts (`podman pull --cert-dir`,
    /// which applies to every host it contacts, the mirror included); the mirror is then not
    /// `insecure`, so podman verifies it and never falls back to plain HTTP.
    let certificateDirectory: URL?

    var name: String { "podman" }
    var reportsIndexDigest: Bool { true }

    /// Writes the configuration for a mirror at `mirrorHostAndPort` in front of an unreachable
    /// `docker.io` at `unreachableHostAndPort`; with `certificateDirectory`, a TLS mirror
    /// verified against the CA in it.
    /// - Throws: file errors.
    init(mirrorHostAndPort: String, unreachableHostAndPort: String, certificateDirectory: URL? = nil) throws {
        configurationDirectory = try TemporaryDirectory(prefix: "cistern-podman")
        self.certificateDirectory = certificateDirectory
        var registries = try DeployedClientConfiguration.podmanRegistriesConf(mirror: mirrorHostAndPort, dockerHub: unreachableHostAndPort)
        if certificateDirectory != nil {
            // A verified TLS mirror: no plain-HTTP fallback.
            registries = registries.replacingOccurrences(of: "insecure = true", with: "insecure = false")
        }
        try Data(registries.utf8).write(to: configurationDirectory.appending("registries.conf"))
        // Our own files, so a host's /etc/containers settings (overlay options, a different
        // store, events to journald) cannot change what the test does.
        try Data("""
            [storage]
            driver = "vfs"
            runroot = "/nonexistent/overridden-by-flags"
            graphroot = "/nonexistent/overridden-by-flags"

            """.utf8).write(to: configurationDirectory.appending("storage.conf"))
        try Data("""
            [engine]
            events_logger = "none"
            cgroup_manager = "cgroupfs"

            """.utf8).write(to: configurationDirectory.appending("containers.conf"))
    }

    func pull(_ reference: ImageReference) async throws -> PulledImage {
        let store = try TemporaryDirectory(shortPrefix: "cpm")
        defer { store.remove() }
        let trust = certificateDirectory.map { ["--cert-dir", $0.path] } ?? []
        _ = try await podman(["pull", "--quiet"] + trust + [reference.dockerHubName], store: store)
        let inspected = try await podman(
            ["image", "inspect", "--format", "{{.Digest}} {{.ID}}", reference.dockerHubName], store: store)
        let fields = String(decoding: inspected.standardOutput, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, fields[0].hasPrefix("sha256:") else {
            throw ContainerClientFailure.unexpectedOutput(
                client: name, output: String(decoding: inspected.standardOutput, as: UTF8.self))
        }
        // podman's image ID is the config digest's hex.
        return PulledImage(manifestDigest: String(fields[0]), configDigest: "sha256:\(fields[1])")
    }

    /// `podman login --tls-verify=false --authfile <authFile> -u <user> -p <password> <registry>`.
    /// - Throws: `ChildProcess.Failure` when the login is refused.
    @discardableResult
    func login(_ registry: String, username: String, password: String, authFile: URL) async throws -> ChildProcess.Result {
        let store = try TemporaryDirectory(shortPrefix: "cpl")
        defer { store.remove() }
        return try await podman(["login", "--tls-verify=false", "--authfile", authFile.path, "-u", username, "-p", password, registry], store: store)
    }

    /// Nothing to remove: every pull had its own store, deleted after it.
    func remove(_ reference: ImageReference) async throws {}

    private func podman(_ arguments: [String], store: TemporaryDirectory) async throws -> ChildProcess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERS_REGISTRIES_CONF"] = configurationDirectory.appending("registries.conf").path
        environment["CONTAINERS_STORAGE_CONF"] = configurationDirectory.appending("storage.conf").path
        environment["CONTAINERS_CONF"] = configurationDirectory.appending("containers.conf").path
        let storeFlags = [
            "--root", store.appending("root").path, "--runroot", store.appending("run").path,
            "--tmpdir", store.appending("tmp").path, "--storage-driver", "vfs",
        ]
        return try await ChildProcess.run(
            Self.executablePath, storeFlags + arguments, environment: environment, timeout: .seconds(90))
    }
}
