import Foundation
@testable import ProxyConfig

/// The setting every client test pulls in: the test's own "Docker Hub" (a real Debian
/// `docker-registry`, seeded by `RegistrySeeder`), a Cistern in front of it whose default
/// upstream is *named* `docker.io` (dockerd mirrors only Docker Hub names and sends no `ns=`;
/// containerd sends `?ns=docker.io`), and a closed loopback port that each client is told is
/// `docker.io` itself, so a client falling back from a failing mirror fails instead of passing.
/// Everything ends when the value goes away. Used from one test task at a time.
final class DockerHubMirror {
    /// The upstream; its access log counts what Cistern fetched.
    let registry: RegistryProcess
    /// The mirror under test.
    let cistern: CisternInstance
    /// Where the clients believe `docker.io` is: nothing answers there.
    let unreachableDockerHub: ClosedLoopbackPort
    /// Image layouts and client downloads.
    let workDirectory: TemporaryDirectory

    /// Starts the registry and Cistern.
    /// - Parameter otherUpstreamNames: more upstream names Cistern gives the same registry
    ///   (containerd reaches them with `?ns=<name>`), besides the default `docker.io`.
    /// - Throws: `RegistryProcess.Failure`, `ChildProcess.Failure.executableMissing`, or
    ///   Cistern's start errors.
    /// - Parameter tls: a certificate for Cistern's listen address, which then speaks TLS only
    ///   (clients must be given `tls.certificateDirectory` to trust it).
    /// - Parameter configure: more settings for Cistern (an `auth:` section, routes).
    init(otherUpstreamNames: [String] = [], tls: TestCertificateAuthority? = nil,
         configure: (inout Configuration) -> Void = { _ in }) async throws {
        workDirectory = try TemporaryDirectory(prefix: "cistern-clients")
        registry = try await RegistryProcess.start()
        let url = registry.baseURL.absoluteString
        cistern = try CisternInstance(upstreams: [(name: "docker.io", url: url)] + otherUpstreamNames.map { ($0, url) }) { configuration in
            if let tls {
                configuration.tls = TLSListenerConfiguration(certificate: tls.serverCertificateURL.path, key: tls.serverKeyURL.path)
            }
            configure(&configuration)
        }
        unreachableDockerHub = try ClosedLoopbackPort()
    }

    /// Builds images into the work directory.
    var imageBuilder: ImageBuilder { ImageBuilder(directory: workDirectory.url) }

    /// skopeo, addressed to Cistern directly.
    /// - Parameter skopeo: how it connects (default: plain HTTP allowed, nothing verified).
    func skopeo(_ skopeo: Skopeo = Skopeo()) -> SkopeoMirrorClient {
        SkopeoMirrorClient(mirrorHostAndPort: cistern.hostAndPort, workDirectory: workDirectory, skopeo: skopeo)
    }

    /// podman with a `registries.conf` mirroring `docker.io` through Cistern.
    /// - Throws: file errors.
    /// - Parameter certificateDirectory: the CA directory to trust a TLS mirror with.
    func podman(certificateDirectory: URL? = nil) throws -> PodmanClient {
        try PodmanClient(mirrorHostAndPort: cistern.hostAndPort, unreachableHostAndPort: unreachableDockerHub.hostAndPort,
                         certificateDirectory: certificateDirectory)
    }

    /// `ctr` on `daemon` with a `hosts.toml` mirroring `docker.io` through Cistern.
    /// - Throws: file errors.
    func containerd(_ daemon: ContainerdDaemon) throws -> ContainerdClient {
        try ContainerdClient(
            daemon: daemon, mirrorHostAndPort: cistern.hostAndPort,
            unreachableHostAndPort: unreachableDockerHub.hostAndPort)
    }

    /// A dockerd whose `registry-mirrors` is Cistern, running containers on `containerd`.
    /// - Throws: `ContainerClientFailure.daemonDidNotStart`.
    /// - Parameter mirrorCA: the CA to trust a TLS mirror with (`https://` mirror).
    func dockerDaemon(on containerd: ContainerdDaemon, mirrorCA: URL? = nil) async throws -> DockerDaemon {
        try await DockerDaemon(mirrorHostAndPort: cistern.hostAndPort, containerd: containerd, mirrorCA: mirrorCA)
    }
}
