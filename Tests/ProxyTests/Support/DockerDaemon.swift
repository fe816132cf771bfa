import Foundation

/// A Docker engine (Debian's docker.io, dockerd 20.10) of the test's own, started by hand as
/// `dockerd --config-file F --iptables=false --ip-forward=false --ip-masq=false --bridge=none
/// --storage-driver=vfs --data-root D --exec-root E -H unix://S` with, in F, the shipped
/// `deploy/clients/docker/daemon.json` for the mirror (`DeployedClientConfiguration`):
/// ```json
/// { "registry-mirrors": ["http://127.0.0.1:<cistern port>"],
///   "insecure-registries": ["127.0.0.1:<cistern port>"] }
/// ```
/// Everything lives in a short `/tmp/dkd.XXXXXX`. It runs containers through the test's own
/// `ContainerdDaemon` (`--containerd`): left alone, dockerd 20.10 would use a system containerd
/// at /run/containerd/containerd.sock when one runs, or start its own. No network setup: containers run with `--network none`. dockerd mirrors only Docker
/// Hub names, so Cistern's default upstream is the one named `docker.io`; Docker Hub itself is
/// unreachable from the test machines and the test images exist only in the test's registry.
/// Stopped by its process id on `stop()` or `deinit` (SIGTERM, SIGKILL after 20 s), before its
/// containerd. Any thread may use an instance.
final class DockerDaemon: Sendable {
    /// The daemon binary.
    static let executablePath = "/usr/sbin/dockerd"
    /// The CLI of the same package (not any other `docker` on the PATH).
    static let clientPath = "/usr/bin/docker"

    /// Holds daemon.json, data root, exec root, the socket, the CLI's config and the log.
    let workDirectory: TemporaryDirectory
    /// The daemon.
    let child: ChildProcess
    /// The containerd it runs containers with; kept alive as long as dockerd.
    let containerd: ContainerdDaemon

    /// `/etc/docker/certs.d/<mirror>` when this daemon trusts a TLS mirror's CA; removed on stop.
    let trustedCADirectory: URL?

    /// The API socket.
    var socketPath: String { workDirectory.appending("docker.sock").path }

    /// Writes daemon.json for the mirror at `mirrorHostAndPort`, starts dockerd on `containerd`
    /// and waits (at most `startTimeout`) until `docker version` answers.
    /// - Throws: `ContainerClientFailure.daemonDidNotStart` with its log, or a spawn error.
    ///
    /// With `mirrorCA`, the mirror is `https://<mirror>` and not insecure: dockerd verifies it
    /// against that CA, which it reads from `/etc/docker/certs.d/<host:port>/ca.crt` (dockerd
    /// 20.10 has no setting for another directory when not rootless), written here and
    /// removed on `stop()`; the port is this test's own, so no other daemon reads it.
    init(mirrorHostAndPort: String, containerd: ContainerdDaemon, mirrorCA: URL? = nil,
         startTimeout: Duration = .seconds(60)) async throws {
        self.containerd = containerd
        workDirectory = try TemporaryDirectory(shortPrefix: "dkd")
        let configuration = workDirectory.appending("daemon.json")
        if let mirrorCA {
            let directory = URL(fileURLWithPath: "/etc/docker/certs.d/\(mirrorHostAndPort)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(contentsOf: mirrorCA).write(to: directory.appendingPathComponent("ca.crt"))
            trustedCADirectory = directory
            try Data("""
                { "registry-mirrors": ["https://\(mirrorHostAndPort)"] }

                """.utf8).write(to: configuration)
        } else {
            trustedCADirectory = nil
            try Data(DeployedClientConfiguration.dockerDaemonJSON(mirror: mirrorHostAndPort).utf8).write(to: configuration)
        }
        let log = workDirectory.appending("dockerd.log")
        child = try ChildProcess(
            executablePath: Self.executablePath,
            arguments: [
                "--config-file", configuration.path, "--iptables=false", "--ip-forward=false", "--ip-masq=false",
                "--bridge=none", "--storage-driver=vfs", "--containerd", containerd.socketPath, "--data-root", workDirectory.appending("data").path,
                "--exec-root", workDirectory.appending("exec").path, "--pidfile", workDirectory.appending("dockerd.pid").path,
                "-H", "unix://\(workDirectory.appending("docker.sock").path)",
            ],
            standardOutput: .file(log), standardError: .file(log))
        try await DaemonReadiness.wait(name: "dockerd", child: child, timeout: startTimeout, logURL: log) { [self] in
            (try? await docker(["version"], timeout: .seconds(10))) != nil
        }
    }

    deinit { stop() }

    /// SIGTERM, SIGKILL after 20 s. Idempotent.
    func stop() {
        child.stop(grace: .seconds(20))
        if let trustedCADirectory { try? FileManager.default.removeItem(at: trustedCADirectory) }
    }

    /// Runs `/usr/bin/docker -H unix://<socket> <arguments>` with its own client config
    /// directory (so no user's `~/.docker/config.json` takes part).
    /// - Throws: `ChildProcess.Failure` when it fails or outlives `timeout`.
    func docker(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> ChildProcess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_CONFIG"] = workDirectory.appending("client").path
        environment.removeValue(forKey: "DOCKER_HOST")
        return try await ChildProcess.run(
            Self.clientPath, ["-H", "unix://\(socketPath)"] + arguments, environment: environment, timeout: timeout)
    }
}
