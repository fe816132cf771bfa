import Testing

/// containerd (`ctr images pull --hosts-dir`, `hosts.toml` naming Cistern as an `http://` host
/// of `docker.io`, whose own server is a closed port) pulls through Cistern: OCI, Docker schema 2
/// and an OCI index, by tag and by digest, cold then warm (see `ClientPullScenario`). Every
/// request carries `?ns=docker.io`; containerd HEADs the tag and GETs by digest.
/// One containerd per test; it is stopped by its process id.
@Suite(.serialized) struct ContainerdClientPullTests {
    @Test func containerdPullsAnOCIImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        let daemon = try await ContainerdDaemon()
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: hub.containerd(daemon)).pullColdThenWarm(.ociManifest, seed: 301)
    }

    @Test func containerdPullsADockerSchema2ImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        let daemon = try await ContainerdDaemon()
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: hub.containerd(daemon)).pullColdThenWarm(.dockerSchema2, seed: 311)
    }

    @Test func containerdPullsTheAmd64ImageOfAnOCIIndexByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        let daemon = try await ContainerdDaemon()
        defer { daemon.stop() }
        try await ClientPullScenario(hub: hub, client: hub.containerd(daemon)).pullColdThenWarm(.ociIndex, seed: 321)
    }
}
