import Foundation

/// Builds real images as OCI image layout directories (OCI image-spec image-layout.md) under
/// `directory`: gzip'd tar layers of pseudo-random files, an image config, and an OCI manifest
/// or Docker schema 2 manifest, optionally under an OCI index or Docker manifest list.
///
/// Content depends only on `layers` and `seed`, so the same call with `.oci` and `.docker`
/// gives the same config and layer digests under different manifests. All JSON is written by
/// hand, so the bytes (and digests) are exactly what the layout stores and the seeder pushes.
struct ImageBuilder: Sendable {
    /// Which manifest family to write.
    enum Format: Sendable {
        /// OCI image manifest / OCI image index, OCI config and layer media types.
        case oci
        /// Docker schema 2 manifest / manifest list, Docker config and layer media types.
        case docker

        var manifestMediaType: String { self == .oci ? FixtureMediaType.ociManifest : FixtureMediaType.dockerManifest }
        var indexMediaType: String { self == .oci ? FixtureMediaType.ociIndex : FixtureMediaType.dockerManifestList }
        var configMediaType: String { self == .oci ? FixtureMediaType.ociConfig : FixtureMediaType.dockerConfig }
        var layerMediaType: String { self == .oci ? FixtureMediaType.ociLayerGzip : FixtureMediaType.dockerLayerGzip }
    }

    /// One layer: the regular files its tar holds.
    struct Layer: Sendable {
        /// (path inside the tar, byte count) of each pseudo-random file.
        let files: [(path: String, byteCount: Int)]
        /// (path inside the tar, exact contents) of each executable file (mode 0755), after `files`.
        var executables: [(path: String, contents: [UInt8])] = []

        /// A layer holding one file of `byteCount` bytes.
        static func file(byteCount: Int, path: String = "data.bin") -> Layer {
            Layer(files: [(path, byteCount)])
        }

        /// A layer holding a copy of the executable at `sourcePath` (e.g. Debian
        /// busybox-static's `/bin/busybox`, statically linked, so it runs in an otherwise empty
        /// image) at `path`, and one pseudo-random file of `byteCount` bytes at `dataPath`.
        /// - Throws: `ChildProcess.Failure.executableMissing` when `sourcePath` is not an
        ///   executable file (its package is not installed), or the read error.
        static func executable(
            copying sourcePath: String, to path: String, dataByteCount byteCount: Int, dataPath: String = "data.bin"
        ) throws -> Layer {
            guard FileManager.default.isExecutableFile(atPath: sourcePath) else {
                throw ChildProcess.Failure.executableMissing(path: sourcePath)
            }
            let contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sourcePath)))
            return Layer(files: [(dataPath, byteCount)], executables: [(path, contents)])
        }
    }

    /// The directory under which each built image gets its own layout directory.
    let directory: URL

    /// A builder writing under `directory` (which must exist).
    init(directory: URL) {
        self.directory = directory
    }

    /// Builds a single-platform image whose root is its manifest.
    /// - Parameters:
    ///   - name: the layout directory's name under `directory` (must be new).
    ///   - seed: content seed; different seeds give different layers and configs.
    /// - Throws: file or `sha256sum` errors.
    func image(
        name: String, layers: [Layer], seed: UInt64,
        format: Format = .oci, platform: BuiltImage.Platform = .linuxAmd64
    ) async throws -> BuiltImage {
        let layout = try makeLayout(name: name)
        let manifest = try await buildManifest(in: layout, layers: layers, seed: seed, format: format, platform: platform)
        try writeIndexJSON(in: layout, root: manifest.descriptor)
        return BuiltImage(layoutDirectory: layout, root: manifest.descriptor, rootBytes: manifest.bytes, manifests: [manifest])
    }

    /// Builds a two-platform image (linux/amd64, then linux/arm64) under an OCI index or Docker
    /// manifest list; each platform has its own layers and config (seeded `seed` and `seed + 1`).
    /// - Throws: file or `sha256sum` errors.
    func multiPlatformImage(name: String, layers: [Layer], seed: UInt64, format: Format = .oci) async throws -> BuiltImage {
        let layout = try makeLayout(name: name)
        var manifests: [BuiltImage.Manifest] = []
        for (offset, platform) in [BuiltImage.Platform.linuxAmd64, .linuxArm64].enumerated() {
            manifests.append(try await buildManifest(
                in: layout, layers: layers, seed: seed &+ UInt64(offset), format: format, platform: platform))
        }
        let entries = manifests.map { manifest in
            """
                {
                  "mediaType": "\(manifest.descriptor.mediaType)",
                  "digest": "\(manifest.descriptor.digest)",
                  "size": \(manifest.descriptor.byteCount),
                  "platform": {
                    "architecture": "\(manifest.platform.architecture)",
                    "os": "\(manifest.platform.os)"
                  }
                }
            """
        }
        let indexJSON = """
            {
              "schemaVersion": 2,
              "mediaType": "\(format.indexMediaType)",
              "manifests": [
            \(entries.joined(separator: ",\n"))
              ]
            }

            """
        let root = try await storeBlob(Data(indexJSON.utf8), mediaType: format.indexMediaType, in: layout)
        try writeIndexJSON(in: layout, root: root)
        return BuiltImage(layoutDirectory: layout, root: root, rootBytes: Data(indexJSON.utf8), manifests: manifests)
    }

    private func makeLayout(name: String) throws -> URL {
        let layout = directory.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(
            at: layout.appendingPathComponent("blobs/sha256", isDirectory: true), withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion": "1.0.0"}"#.utf8).write(to: layout.appendingPathComponent("oci-layout"))
        return layout
    }

    private func buildManifest(
        in layout: URL, layers: [Layer], seed: UInt64, format: Format, platform: BuiltImage.Platform
    ) async throws -> BuiltImage.Manifest {
        var layerDescriptors: [ContentDescriptor] = []
        var diffIDs: [String] = []
        for (index, layer) in layers.enumerated() {
            let tar = LayerArchive.tar(
                files: layer.files, seed: seed &* 1_000_003 &+ UInt64(index), executables: layer.executables)
            let tarURL = layout.appendingPathComponent("layer-\(index).tar.tmp")
            try Data(tar).write(to: tarURL)
            defer { try? FileManager.default.removeItem(at: tarURL) }
            diffIDs.append(try await SHA256Sum.digest(ofFile: tarURL))
            layerDescriptors.append(try await storeBlob(
                Data(LayerArchive.gzip(tar)), mediaType: format.layerMediaType, in: layout))
        }
        let configJSON = """
            {
              "architecture": "\(platform.architecture)",
              "os": "\(platform.os)",
              "created": "2024-01-01T00:00:00Z",
              "config": {
                "Env": ["CISTERN_FIXTURE_SEED=\(seed)"]
              },
              "rootfs": {
                "type": "layers",
                "diff_ids": [\(diffIDs.map { "\"\($0)\"" }.joined(separator: ", "))]
              }
            }

            """
        let config = try await storeBlob(Data(configJSON.utf8), mediaType: format.configMediaType, in: layout)
        let layerEntries = layerDescriptors.map {
            "    {\"mediaType\": \"\($0.mediaType)\", \"digest\": \"\($0.digest)\", \"size\": \($0.byteCount)}"
        }
        let manifestJSON = """
            {
              "schemaVersion": 2,
              "mediaType": "\(format.manifestMediaType)",
              "config": {"mediaType": "\(config.mediaType)", "digest": "\(config.digest)", "size": \(config.byteCount)},
              "layers": [
            \(layerEntries.joined(separator: ",\n"))
              ]
            }

            """
        let bytes = Data(manifestJSON.utf8)
        let descriptor = try await storeBlob(bytes, mediaType: format.manifestMediaType, in: layout)
        return BuiltImage.Manifest(
            descriptor: descriptor, bytes: bytes, config: config, layers: layerDescriptors, platform: platform)
    }

    /// Writes `bytes` to `blobs/sha256/<hex>` (via a temporary name) and describes it.
    private func storeBlob(_ bytes: Data, mediaType: String, in layout: URL) async throws -> ContentDescriptor {
        let temporary = layout.appendingPathComponent("blob-\(UUID().uuidString).tmp")
        try bytes.write(to: temporary)
        let digest = try await SHA256Sum.digest(ofFile: temporary)
        let final = layout.appendingPathComponent("blobs/sha256/\(digest.dropFirst("sha256:".count))")
        if FileManager.default.fileExists(atPath: final.path) {
            try FileManager.default.removeItem(at: temporary)
        } else {
            try FileManager.default.moveItem(at: temporary, to: final)
        }
        return ContentDescriptor(mediaType: mediaType, digest: digest, byteCount: bytes.count)
    }

    /// Writes the layout's `index.json`, naming `root` with the `latest` ref name annotation.
    private func writeIndexJSON(in layout: URL, root: ContentDescriptor) throws {
        let json = """
            {"schemaVersion": 2, "manifests": [{"mediaType": "\(root.mediaType)", "digest": "\(root.digest)", \
            "size": \(root.byteCount), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}

            """
        try Data(json.utf8).write(to: layout.appendingPathComponent("index.json"))
    }
}
