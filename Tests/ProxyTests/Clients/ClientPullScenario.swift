import Foundation
import Testing

/// The pulls every client must get right, against a `DockerHubMirror`: an image of one format,
/// pulled by tag and (another image) by digest, each first from a cold cache and then warm
/// (after the client forgot it), with the digests the client reports checked against what
/// was pushed upstream, and the upstream's access log checked after each pull:
/// - cold: every config and layer blob of the linux/amd64 image fetched exactly once, and no
///   other blob (not the arm64 one of an index);
/// - warm: no blob GET and no manifest GET by digest at all (the tag may not even be asked).
struct ClientPullScenario {
    /// The kind of image pushed.
    enum Format: String, Sendable {
        /// An OCI image manifest.
        case ociManifest = "oci"
        /// A Docker schema 2 manifest.
        case dockerSchema2 = "docker"
        /// An OCI index of linux/amd64 and linux/arm64 manifests.
        case ociIndex = "index"
    }

    /// Where the pulls go.
    let hub: DockerHubMirror
    /// Who pulls.
    let client: any ContainerClient

    /// Pushes two images of `format` (seeds `seed` and `seed + 2`, so nothing is shared between
    /// them) to `library/<client>-<format>-by-tag` and `…-by-digest`, then for each pulls cold,
    /// removes, pulls warm, calls `afterWarmPull` with the reference, removes.
    /// Expectations are recorded as issues; errors of the client or fixtures are thrown.
    func pullColdThenWarm(
        _ format: Format, seed: UInt64, layers: [ImageBuilder.Layer] = Self.defaultLayers,
        afterWarmPull: (ImageReference) async throws -> Void = { _ in }
    ) async throws {
        for (offset, byDigest) in [false, true].enumerated() {
            let name = "\(client.name)-\(format.rawValue)-\(byDigest ? "by-digest" : "by-tag")"
            let image = try await build(format, name: name, seed: seed &+ UInt64(2 * offset), layers: layers)
            let repository = "library/\(name)"
            try await RegistrySeeder(registry: hub.registry).push(image, repository: repository, tag: "v1")
            let reference: ImageReference = byDigest ? .digest(image.root.digest, in: repository) : .tag("v1", in: repository)

            try await hub.registry.resetRequestLog()
            let cold = try await client.pull(reference)
            try await expectPulled(cold, image: image, reference: reference, temperature: "cold")
            try await expectColdUpstreamTraffic(image: image, reference: reference)
            try await client.remove(reference)

            try await hub.registry.resetRequestLog()
            let warm = try await client.pull(reference)
            try await expectPulled(warm, image: image, reference: reference, temperature: "warm")
            try await expectWarmUpstreamTraffic(reference: reference)
            try await afterWarmPull(reference)
            try await client.remove(reference)
        }
    }

    /// Two layers of pseudo-random files, 150,000 and 40,000 bytes.
    static let defaultLayers: [ImageBuilder.Layer] = [.file(byteCount: 150_000), .file(byteCount: 40_000, path: "etc/small")]

    /// What the client must report: the root's digest, or the linux/amd64 manifest's for
    /// clients that record only the platform manifest of an index; its config digest.
    func expectedPull(of image: BuiltImage) -> PulledImage {
        let platform = image.manifests[0]  // linux/amd64 (ImageBuilder's first platform)
        let manifest = image.isIndex && !client.reportsIndexDigest ? platform.descriptor.digest : image.root.digest
        return PulledImage(manifestDigest: manifest, configDigest: platform.config.digest)
    }

    private func build(_ format: Format, name: String, seed: UInt64, layers: [ImageBuilder.Layer]) async throws -> BuiltImage {
        switch format {
        case .ociManifest: try await hub.imageBuilder.image(name: name, layers: layers, seed: seed, format: .oci)
        case .dockerSchema2: try await hub.imageBuilder.image(name: name, layers: layers, seed: seed, format: .docker)
        case .ociIndex: try await hub.imageBuilder.multiPlatformImage(name: name, layers: layers, seed: seed, format: .oci)
        }
    }

    private func expectPulled(_ pulled: PulledImage, image: BuiltImage, reference: ImageReference, temperature: String) async throws {
        #expect(pulled == expectedPull(of: image), "\(client.name) \(temperature) pull of \(reference)")
    }

    private func expectColdUpstreamTraffic(image: BuiltImage, reference: ImageReference) async throws {
        let requests = try await hub.registry.requests()
        let expected = Dictionary(uniqueKeysWithValues: image.manifests[0].blobDigests.map { ($0, 1) })
        #expect(
            Self.blobGETCounts(requests) == expected,
            "\(client.name) cold pull of \(reference): each linux/amd64 blob fetched upstream once; upstream saw:\n\(Self.listing(requests))")
    }

    private func expectWarmUpstreamTraffic(reference: ImageReference) async throws {
        let requests = try await hub.registry.requests()
        let refetched = requests.filter {
            $0.method == "GET" && ($0.path.contains("/blobs/") || $0.path.contains("/manifests/sha256:"))
        }
        #expect(
            refetched.isEmpty,
            "\(client.name) warm pull of \(reference): no blob or manifest-by-digest GET upstream; upstream saw:\n\(Self.listing(requests))")
    }

    /// GETs of `/blobs/<digest>` per digest.
    static func blobGETCounts(_ requests: [RegistryRequest]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for request in requests where request.method == "GET" {
            guard let range = request.path.range(of: "/blobs/") else { continue }
            counts[String(request.path[range.upperBound...]), default: 0] += 1
        }
        return counts
    }

    /// One request per line, for failure messages.
    static func listing(_ requests: [RegistryRequest]) -> String {
        requests.map { "  \($0) \($0.userAgent)" }.joined(separator: "\n")
    }
}

extension BuiltImage.Manifest {
    /// Its config and layer digests.
    var blobDigests: [String] { [config.digest] + layers.map(\.digest) }
}
