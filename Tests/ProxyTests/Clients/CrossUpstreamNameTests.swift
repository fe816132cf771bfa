import Foundation
import Testing

/// The bug real runtimes found (issue 10 item 1a): an OCI index cached through one upstream
/// name, then pulled through `docker.io` — another name for the same registry — by podman,
/// containerd and dockerd. Each fetches the index's linux/amd64 child manifest by digest,
/// which Cistern holds but had not seen through `docker.io`; it used to ask the upstream with
/// a HEAD carrying no Accept, which distribution answers 404 for an OCI manifest.
@Suite(.serialized) struct CrossUpstreamNameTests {
    @Test func anIndexCachedThroughAnotherUpstreamNameIsPulledByPodmanContainerdAndDocker() async throws {
        let hub = try await DockerHubMirror(otherUpstreamNames: ["mirror-a"])
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let docker = try await hub.dockerDaemon(on: containerd)
        defer { docker.stop() }
        let clients: [any ContainerClient] = [try hub.podman(), try hub.containerd(containerd), DockerClient(daemon: docker)]
        let image = try await hub.imageBuilder.multiPlatformImage(
            name: "multi", layers: ClientPullScenario.defaultLayers, seed: 801, format: .oci)
        try await RegistrySeeder(registry: hub.registry).push(image, repository: "library/multi", tag: "latest")

        // Cached through `mirror-a` as containerd would fetch it there: the index by tag, the
        // amd64 manifest by digest, its config and layers.
        let amd64 = image.manifests[0]
        let base = "/v2/library/multi"
        let accept = AcceptVariant.containerd.headers
        let warmTargets = ["\(base)/manifests/latest", "\(base)/manifests/\(amd64.descriptor.digest)"]
            + amd64.blobDigests.map { "\(base)/blobs/\($0)" }
        for target in warmTargets {
            let response = try await OffPool.fetch(port: hub.cistern.port, "\(target)?ns=mirror-a", headers: accept)
            #expect(response.statusCode == 200, "\(target): \(response.bodyText)")
        }

        for client in clients {
            let pulled = try await client.pull(.tag("latest", in: "library/multi"))
            #expect(pulled == ClientPullScenario(hub: hub, client: client).expectedPull(of: image), "\(client.name)")
            try await client.remove(.tag("latest", in: "library/multi"))
        }
        // Every blob crossed from the upstream once, during the warm-up through `mirror-a`.
        let requests = try await hub.registry.requests()
        let expected = Dictionary(uniqueKeysWithValues: amd64.blobDigests.map { ($0, 1) })
        #expect(ClientPullScenario.blobGETCounts(requests) == expected, "upstream saw:\n\(ClientPullScenario.listing(requests))")
    }
}
