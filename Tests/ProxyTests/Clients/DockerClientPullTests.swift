import Testing

/// The Docker engine (dockerd 20.10, `registry-mirrors` = Cistern, Docker Hub unreachable) pulls
/// through Cistern: OCI, Docker schema 2 and an OCI index, by tag and by digest, cold then warm
/// (see `ClientPullScenario`), and runs the pulled OCI image once. One dockerd (and the containerd it runs on) per test.
@Suite(.serialized) struct DockerClientPullTests {
    /// The OCI image's first layer: Debian busybox-static's static `/bin/busybox` (runs in an
    /// image with nothing else) and a 100,000-byte file the container measures.
    private static func runnableLayers() throws -> [ImageBuilder.Layer] {
        [try .executable(copying: "/bin/busybox", to: "bin/busybox", dataByteCount: 100_000), .file(byteCount: 30_000, path: "etc/extra.bin")]
    }

    @Test func dockerPullsAnOCIImageByTagAndDigestColdThenWarmAndRunsIt() async throws {
        let hub = try await DockerHubMirror()
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let daemon = try await hub.dockerDaemon(on: containerd)
        defer { daemon.stop() }
        var runs = 0
        try await ClientPullScenario(hub: hub, client: DockerClient(daemon: daemon)).pullColdThenWarm(
            .ociManifest, seed: 401, layers: Self.runnableLayers()
        ) { reference in
            guard reference.suffix.hasPrefix(":") else { return }
            runs += 1
            let run = try await daemon.docker([
                "run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                reference.dockerHubName, "/bin/busybox", "wc", "-c", "/data.bin",
            ])
            #expect(String(decoding: run.standardOutput, as: UTF8.self) == "100000 /data.bin\n")
        }
        #expect(runs == 1)
    }

    @Test func dockerPullsADockerSchema2ImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let daemon = try await hub.dockerDaemon(on: containerd)
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: DockerClient(daemon: daemon)).pullColdThenWarm(.dockerSchema2, seed: 411)
    }

    @Test func dockerPullsTheAmd64ImageOfAnOCIIndexByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let daemon = try await hub.dockerDaemon(on: containerd)
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: DockerClient(daemon: daemon)).pullColdThenWarm(.ociIndex, seed: 421)
    }
}
