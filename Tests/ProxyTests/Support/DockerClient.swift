import Foundation

/// The Docker engine as a `ContainerClient`: `docker pull docker.io/<repository>…` through the
/// daemon's `registry-mirrors` (see `DockerDaemon`). `remove` runs `docker rmi` and checks that
/// the daemon holds no image, so the next pull downloads every layer again.
struct DockerClient: ContainerClient {
    /// The daemon pulls go to.
    let daemon: DockerDaemon

    var name: String { "docker" }
    var reportsIndexDigest: Bool { true }

    func pull(_ reference: ImageReference) async throws -> PulledImage {
        let name = reference.dockerHubName
        _ = try await daemon.docker(["pull", "--quiet", name])
        let inspected = try await daemon.docker(
            ["image", "inspect", "--format", "{{.Id}}{{range .RepoDigests}} {{.}}{{end}}", name])
        let output = String(decoding: inspected.standardOutput, as: UTF8.self)
        let fields = output.split(whereSeparator: \.isWhitespace).map(String.init)
        // The image ID is the config digest; RepoDigests holds `<familiar name>@<digest>` (Docker
        // Hub names without `docker.io/library/`) for the manifest or index the pull resolved.
        let familiarName = reference.repository.hasPrefix("library/")
            ? String(reference.repository.dropFirst("library/".count)) : reference.repository
        let recorded = fields.dropFirst().filter { $0.hasPrefix("\(familiarName)@") }
        guard let configDigest = fields.first, configDigest.hasPrefix("sha256:"), recorded.count == 1,
              let digest = recorded.first?.split(separator: "@").last else {
            throw ContainerClientFailure.unexpectedOutput(client: self.name, output: output)
        }
        return PulledImage(manifestDigest: String(digest), configDigest: configDigest)
    }

    func remove(_ reference: ImageReference) async throws {
        _ = try await daemon.docker(["rmi", reference.dockerHubName])
        let images = try await daemon.docker(["images", "--all", "--quiet"])
        let listing = String(decoding: images.standardOutput, as: UTF8.self)
        guard listing.allSatisfy(\.isWhitespace) else {
            throw ContainerClientFailure.contentLeftBehind(client: name, listing: listing)
        }
    }
}
