import Testing

/// skopeo pulls through Cistern from the real `docker-registry`: OCI, Docker schema 2 and an OCI
/// index, by tag and by digest, cold then warm (see `ClientPullScenario`).
@Suite(.serialized) struct SkopeoClientPullTests {
    @Test func skopeoPullsAnOCIImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.skopeo()).pullColdThenWarm(.ociManifest, seed: 101)
    }

    @Test func skopeoPullsADockerSchema2ImageByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.skopeo()).pullColdThenWarm(.dockerSchema2, seed: 111)
    }

    @Test func skopeoPullsTheAmd64ImageOfAnOCIIndexByTagAndDigestColdThenWarm() async throws {
        let hub = try await DockerHubMirror()
        try await ClientPullScenario(hub: hub, client: hub.skopeo()).pullColdThenWarm(.ociIndex, seed: 121)
    }
}
