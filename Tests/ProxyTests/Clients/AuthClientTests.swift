import Foundation
import Testing

/// The real clients against a Cistern with an `auth:` section (issue 17 item 1, 6): dockerd,
/// containerd, podman and skopeo still pull anonymously where `pull: anyone` allows (each
/// fetches an anonymous token when challenged, or is served without one), and `docker login`
/// followed by `docker push` stores an image on a storage route that an anonymous skopeo
/// then pulls back with every digest verified.
@Suite(.serialized) struct AuthClientTests {
    @Test func dockerdContainerdPodmanAndSkopeoPullAnonymouslyThroughAnAuthConfiguration() async throws {
        let auth = try await AuthFixture()
        let hub = try await DockerHubMirror { auth.configure(&$0, upstream: "docker.io") }
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let docker = try await hub.dockerDaemon(on: containerd)
        defer { docker.stop() }
        let clients: [any ContainerClient] = [hub.skopeo(), try hub.podman(), try hub.containerd(containerd), DockerClient(daemon: docker)]
        let image = try await hub.imageBuilder.multiPlatformImage(name: "open", layers: ClientPullScenario.defaultLayers, seed: 1711, format: .oci)
        try await RegistrySeeder(registry: hub.registry).push(image, repository: "library/open", tag: "v1")
        for client in clients {
            let pulled = try await client.pull(.tag("v1", in: "library/open"))
            #expect(pulled == ClientPullScenario(hub: hub, client: client).expectedPull(of: image), "\(client.name)")
        }
    }

    @Test func dockerLoginThenPushStoresTheImageForAnAnonymousPull() async throws {
        let auth = try await AuthFixture()
        let hub = try await DockerHubMirror { auth.configure(&$0, upstream: "docker.io") }
        let containerd = try await ContainerdDaemon()
        defer { containerd.stop() }
        let docker = try await hub.dockerDaemon(on: containerd)
        defer { docker.stop() }
        let image = try await hub.imageBuilder.image(name: "base", layers: ClientPullScenario.defaultLayers, seed: 1721, format: .docker)
        try await RegistrySeeder(registry: hub.registry).push(image, repository: "library/base", tag: "v1")
        _ = try await DockerClient(daemon: docker).pull(.tag("v1", in: "library/base"))
        let target = "\(hub.cistern.hostAndPort)/mycorp/app:v1"
        _ = try await docker.docker(["tag", "docker.io/library/base:v1", target])

        // Anonymous: refused.
        await #expect(throws: ChildProcess.Failure.self) { _ = try await docker.docker(["push", target]) }
        // A wrong password: login fails.
        await #expect(throws: ChildProcess.Failure.self) {
            _ = try await docker.docker(["login", "-u", AuthFixture.ciBot.username, "-p", "wrong-password", hub.cistern.hostAndPort])
        }
        let login = try await docker.docker(["login", "-u", AuthFixture.ciBot.username, "-p", AuthFixture.ciBot.password, hub.cistern.hostAndPort])
        #expect(String(decoding: login.standardOutput, as: UTF8.self).contains("Login Succeeded"))
        let push = try await docker.docker(["push", target])
        let output = String(decoding: push.standardOutput, as: UTF8.self)
        let pushedDigest = try #require(output.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("sha256:") }.map(String.init),
                                        "\(output)")

        let pulled = hub.workDirectory.url.appendingPathComponent("pushed-back")
        try await Skopeo().copy("\(hub.cistern.hostAndPort)/mycorp/app:v1", to: pulled)
        let verified = try await Skopeo.verifyDirectory(pulled)
        #expect(verified.manifestDigest == pushedDigest)
        // dockerd compresses layers again when it pushes, so their digests are its own; skopeo
        // checked each against its bytes. The config blob (the image id) is the one pulled.
        #expect(verified.verifiedDigests.count == image.blobs.count, "\(verified.verifiedDigests)")
        #expect(verified.verifiedDigests.contains(image.blobs[0].digest) || image.blobs.contains { verified.verifiedDigests.contains($0.digest) })
    }

    @Test func podmanLoginSucceedsWithTheRightPasswordOnly() async throws {
        let auth = try await AuthFixture()
        let hub = try await DockerHubMirror { auth.configure(&$0, upstream: "docker.io") }
        let podman = try hub.podman()
        let authFile = hub.workDirectory.url.appendingPathComponent("auth.json")
        await #expect(throws: ChildProcess.Failure.self) {
            try await podman.login(hub.cistern.hostAndPort, username: AuthFixture.alice.username, password: "wrong", authFile: authFile)
        }
        let login = try await podman.login(hub.cistern.hostAndPort, username: AuthFixture.alice.username, password: AuthFixture.alice.password,
                                           authFile: authFile)
        #expect(String(decoding: login.standardOutput, as: UTF8.self).contains("Login Succeeded"))
        let stored = try String(contentsOf: authFile, encoding: .utf8)
        #expect(stored.contains(hub.cistern.hostAndPort))
    }
}
