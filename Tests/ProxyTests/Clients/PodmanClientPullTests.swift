import Testing

/// podman (registries.conf mirror, its `docker.io` location a closed port) pulls through
/// Cistern: OCI, Docker schema 2 and an OCI index, by tag and by digest, cold then warm (see
/// `ClientPullScenario`). podman probes TLS first, sends six Accept lines and opens a new
/// connection per blob; every pull starts from an empty store.
@Suite(.serialized) struct PodmanClientPullTests {
    @Test func podmanPullsAnOCIImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.podman()).pullColdThenWarm(.ociManifest, seed: 201)
    }

    @Test func podmanPullsADockerSchema2ImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.podman()).pullColdThenWarm(.dockerSchema2, seed: 211)
    }

    @Test func podmanPullsTheAmd64ImageOfAnOCIIndexByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.podman()).pullColdThenWarm(.ociIndex, seed: 221)
    }
}
