import Testing

/// The four real clients in turn against one Cistern: whatever their Accept headers, `ns=`
/// parameters, probes and connection habits, each blob crosses from the upstream once. And the
/// guard of every client test: with Cistern down, none of them finds the image elsewhere.
@Suite(.serialized) struct AllClientsOneCacheTests {
    @Test func oneImagePulledBySkopeoPodmanContainerdAndDockerFetchesEachBlobFromTheUpstreamOnce() async throws {
        let hub = try await DockerHubMirror()
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let docker = try await hub.dockerDaemon(on: containerd)
        defer { docker.stop() }
        let clients: [any ContainerClient] = [
            hub.skopeo(), try hub.podman(), try hub.containerd(containerd), DockerClient(daemon: docker),
        ]
        let image = try await hub.imageBuilder.multiPlatformImage(
            name: "shared", layers: ClientPullScenario.defaultLayers, seed: 501, format: .oci)
        try await RegistrySeeder(registry: hub.registry).push(image, repository: "library/shared", tag: "v1")
        try await hub.registry.resetRequestLog()

        for client in clients {
            let pulled = try await client.pull(.tag("v1", in: "library/shared"))
            #expect(pulled == ClientPullScenario(hub: hub, client: client).expectedPull(of: image), "\(client.name)")
        }

        let requests = try await hub.registry.requests()
        let expected = Dictionary(uniqueKeysWithValues: image.manifests[0].blobDigests.map { ($0, 1) })
        #expect(
            ClientPullScenario.blobGETCounts(requests) == expected,
            "each linux/amd64 blob fetched once in all; upstream saw:\n\(ClientPullScenario.listing(requests))")
        let platformManifestGETs = requests.filter {
            $0.method == "GET" && $0.path.hasSuffix("/manifests/\(image.manifests[0].descriptor.digest)")
        }
        #expect(platformManifestGETs.count <= 1, "upstream saw:\n\(ClientPullScenario.listing(requests))")
    }

    /// The guard every client test relies on: with the mirror down, no client finds the image
    /// anywhere else (its own `docker.io` is a closed port, or unreachable Docker Hub), so a
    /// passing pull can only have come through Cistern.
    @Test func withCisternStoppedEveryClientsPullFails() async throws {
        let hub = try await DockerHubMirror()
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let docker = try await hub.dockerDaemon(on: containerd)
        defer { docker.stop() }
        let clients: [any ContainerClient] = [
            hub.skopeo(), try hub.podman(), try hub.containerd(containerd), DockerClient(daemon: docker),
        ]
        let image = try await hub.imageBuilder.image(name: "orphan", layers: [.file(byteCount: 1000)], seed: 601)
        try await RegistrySeeder(registry: hub.registry).push(image, repository: "library/orphan", tag: "v1")
        hub.cistern.stop()

        for client in clients {
            await #expect(throws: ChildProcess.Failure.self, "\(client.name) pulled without its mirror") {
                _ = try await client.pull(.tag("v1", in: "library/orphan"))
            }
        }
        #expect(try await hub.registry.requests().isEmpty)
    }
}
