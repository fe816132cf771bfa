import Foundation

/// A real docker-registry 2.8 seeded with the four manifest shapes clients meet, all in one
/// repository: a two-platform OCI index, a two-platform Docker manifest list, a
/// single-platform OCI image and a single-platform Docker schema 2 image. Layers are small
/// (a few KiB) so seeding stays fast.
///
/// The work directory (image layouts) and the registry live as long as this value.
struct SeededRegistry: Sendable {
    /// The repository every image is pushed to.
    static let repository = "protocol/app"

    /// One seeded tag and the image it names.
    struct TaggedImage: Sendable {
        /// The tag in `SeededRegistry.repository`.
        let tag: String
        /// What the tag points at.
        let image: BuiltImage
    }

    /// The upstream registry.
    let registry: RegistryProcess
    /// Holds the image layouts.
    let work: TemporaryDirectory
    /// Tag `oci-index`: an OCI index over linux/amd64 and linux/arm64 OCI manifests.
    let ociIndex: TaggedImage
    /// Tag `docker-list`: a Docker manifest list over two Docker schema 2 manifests.
    let dockerList: TaggedImage
    /// Tag `oci`: one OCI image manifest.
    let ociSingle: TaggedImage
    /// Tag `docker`: one Docker schema 2 manifest.
    let dockerSingle: TaggedImage

    /// Every seeded tag.
    var images: [TaggedImage] { [ociIndex, dockerList, ociSingle, dockerSingle] }

    /// Every manifest digest the registry holds: each root, then each index child.
    var manifestDigests: [String] {
        images.flatMap { tagged in
            [tagged.image.root.digest] + (tagged.image.isIndex ? tagged.image.manifests.map(\.descriptor.digest) : [])
        }
    }

    /// `/v2/<repository>/manifests/<reference>` for every tag, then every manifest digest.
    var manifestTargets: [String] {
        (images.map(\.tag) + manifestDigests).map { "/v2/\(Self.repository)/manifests/\($0)" }
    }

    /// Registry start options for the protocol tests: no seeding sibling (seeding goes to the
    /// registry itself, and each test resets the request log after seeding), and up to 60 s
    /// for readiness. The readiness probe is an async task; when the whole test target runs,
    /// tests that block Swift's cooperative pool (two threads here) can delay it past the
    /// default 15 s although the registry is listening. One process per registry also halves
    /// the load these tests add.
    static var registryOptions: RegistryProcess.Options {
        var options = RegistryProcess.Options()
        options.startTimeout = .seconds(60)
        options.runsSeedingRegistry = false
        return options
    }

    /// Starts a registry, builds the four images and pushes them (seeds 100 to 106).
    /// - Throws: `RegistryProcess.Failure`, image-building or seeding errors.
    static func start() async throws -> SeededRegistry {
        let work = try TemporaryDirectory(prefix: "cistern-protocol")
        let registry = try await RegistryProcess.start(registryOptions)
        let builder = ImageBuilder(directory: work.url)
        let layers: [ImageBuilder.Layer] = [.file(byteCount: 4096)]
        let seeder = RegistrySeeder(registry: registry)
        func seed(_ tag: String, _ image: BuiltImage) async throws -> TaggedImage {
            try await seeder.push(image, repository: repository, tag: tag)
            return TaggedImage(tag: tag, image: image)
        }
        let ociIndex = try await seed("oci-index", builder.multiPlatformImage(name: "oci-index", layers: layers, seed: 100, format: .oci))
        let dockerList = try await seed("docker-list", builder.multiPlatformImage(name: "docker-list", layers: layers, seed: 102, format: .docker))
        let ociSingle = try await seed("oci", builder.image(name: "oci", layers: layers, seed: 104, format: .oci))
        let dockerSingle = try await seed("docker", builder.image(name: "docker", layers: layers, seed: 106, format: .docker))
        try await registry.resetRequestLog()
        return SeededRegistry(registry: registry, work: work, ociIndex: ociIndex, dockerList: dockerList,
                              ociSingle: ociSingle, dockerSingle: dockerSingle)
    }
}
