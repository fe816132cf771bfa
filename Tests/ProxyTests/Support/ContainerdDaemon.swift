import Foundation

/// A containerd (Debian's containerd 1.6) of the test's own: its own config, root, state and
/// socket in a short `/tmp/ctd.XXXXXX` (unix socket paths are limited to 108 bytes), the CRI
/// plugin disabled (it is not needed to pull and would look for CNI). Stopped by its process
/// id (SIGTERM, then SIGKILL) on `stop()` or `deinit`. Any thread may use an instance.
final class ContainerdDaemon: Sendable {
    /// The daemon binary.
    static let executablePath = "/usr/bin/containerd"
    /// Its client binary.
    static let clientPath = "/usr/bin/ctr"

    /// Holds config.toml, root, state, the socket and the log.
    let workDirectory: TemporaryDirectory
    /// The daemon.
    let child: ChildProcess

    /// The gRPC socket `ctr -a` talks to.
    var socketPath: String { workDirectory.appending("containerd.sock").path }

    /// Writes the config, starts containerd and waits (at most `startTimeout`) until
    /// `ctr version` answers through its socket.
    /// - Throws: `ContainerClientFailure.daemonDidNotStart` with its log, or a spawn error.
    init(startTimeout: Duration = .seconds(30)) async throws {
        workDirectory = try TemporaryDirectory(shortPrefix: "ctd")
        let configuration = workDirectory.appending("config.toml")
        try Data("""
            version = 2
            root = "\(workDirectory.appending("root").path)"
            state = "\(workDirectory.appending("state").path)"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "\(workDirectory.appending("containerd.sock").path)"
            [ttrpc]
              address = "\(workDirectory.appending("containerd.sock.ttrpc").path)"
            [debug]
              address = ""
            [metrics]
              address = ""

            """.utf8).write(to: configuration)
        child = try ChildProcess(
            executablePath: Self.executablePath, arguments: ["--config", configuration.path],
            standardOutput: .file(workDirectory.appending("containerd.log")),
            standardError: .file(workDirectory.appending("containerd.log")))
        try await DaemonReadiness.wait(
            name: "containerd", child: child, timeout: startTimeout,
            logURL: workDirectory.appending("containerd.log")
        ) { [socketPath] in
            (try? await ChildProcess.run(Self.clientPath, ["--address", socketPath, "version"], timeout: .seconds(5))) != nil
        }
    }

    deinit { stop() }

    /// SIGTERM (containerd exits within milliseconds), SIGKILL after 10 s. Idempotent.
    func stop() {
        child.stop(grace: .seconds(10))
    }

    /// Runs `ctr --address <socket> --namespace cistern-test <arguments>`.
    /// - Throws: `ChildProcess.Failure` when it fails or outlives `timeout`.
    func ctr(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            Self.clientPath, ["--address", socketPath, "--namespace", "cistern-test"] + arguments, timeout: timeout)
    }
}
