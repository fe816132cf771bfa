import Foundation

/// containerd's `ctr images pull --hosts-dir` as a `ContainerClient`, with the shipped
/// `deploy/clients/containerd/hosts.toml` in `<hosts dir>/docker.io/`, addresses replaced:
/// ```toml
/// server = "http://127.0.0.1:<closed port>"
///
/// [host."http://127.0.0.1:<cistern port>"]
///   capabilities = ["pull", "resolve"]
/// ```
/// The scheme must be written: without it containerd speaks HTTPS to the mirror. containerd
/// adds `?ns=docker.io` to every request (Cistern's upstream of that name serves it), HEADs the
/// tag, GETs manifests by digest and never calls `/v2/`.
/// `remove` deletes the image with a synchronous garbage collection and checks that no content
/// is left, so the next pull downloads everything again.
struct ContainerdClient: ContainerClient {
    /// The daemon pulls go to.
    let daemon: ContainerdDaemon
    /// The `--hosts-dir` directory.
    let hostsDirectory: URL

    var name: String { "containerd" }
    var reportsIndexDigest: Bool { true }

    /// Writes `docker.io/hosts.toml` for a mirror at `mirrorHostAndPort` in front of an
    /// unreachable `docker.io` at `unreachableHostAndPort`.
    /// - Throws: file errors.
    init(daemon: ContainerdDaemon, mirrorHostAndPort: String, unreachableHostAndPort: String) throws {
        self.daemon = daemon
        hostsDirectory = try daemon.workDirectory.makeSubdirectory("hosts-\(UUID().uuidString.prefix(8))")
        let dockerHub = hostsDirectory.appendingPathComponent("docker.io", isDirectory: true)
        try FileManager.default.createDirectory(at: dockerHub, withIntermediateDirectories: true)
        try Data(DeployedClientConfiguration.containerdHostsTOML(mirror: mirrorHostAndPort, dockerHub: unreachableHostAndPort).utf8)
            .write(to: dockerHub.appendingPathComponent("hosts.toml"))
    }

    func pull(_ reference: ImageReference) async throws -> PulledImage {
        let name = reference.dockerHubName
        _ = try await daemon.ctr(["images", "pull", "--hosts-dir", hostsDirectory.path, name])
        let listing = try await daemon.ctr(["images", "ls", "name==\(name)"])
        // REF TYPE DIGEST SIZE PLATFORMS LABELS, one line per image.
        let rows = String(decoding: listing.standardOutput, as: UTF8.self).split(separator: "\n").dropFirst()
        guard rows.count == 1, let digest = rows.first?.split(whereSeparator: \.isWhitespace).dropFirst(2).first,
              digest.hasPrefix("sha256:") else {
            throw ContainerClientFailure.unexpectedOutput(
                client: self.name, output: String(decoding: listing.standardOutput, as: UTF8.self))
        }
        return PulledImage(manifestDigest: String(digest), configDigest: try await configDigest(root: String(digest)))
    }

    func remove(_ reference: ImageReference) async throws {
        _ = try await daemon.ctr(["images", "rm", "--sync", reference.dockerHubName])
        let content = try await daemon.ctr(["content", "ls", "--quiet"])
        let listing = String(decoding: content.standardOutput, as: UTF8.self)
        guard listing.allSatisfy(\.isWhitespace) else {
            throw ContainerClientFailure.contentLeftBehind(client: name, listing: listing)
        }
    }

    /// Reads the stored manifest `root` (and, for an index, its linux/amd64 manifest) from the
    /// content store, which containerd verified on the way in, and returns its config digest.
    private func configDigest(root: String) async throws -> String {
        var manifest = try await storedJSON(root)
        if let entries = manifest["manifests"] as? [[String: Any]] {
            let amd64 = entries.first {
                let platform = $0["platform"] as? [String: Any]
                return platform?["os"] as? String == "linux" && platform?["architecture"] as? String == "amd64"
            }
            guard let child = amd64?["digest"] as? String else {
                throw ContainerClientFailure.unexpectedOutput(client: name, output: "index \(root) has no linux/amd64")
            }
            manifest = try await storedJSON(child)
        }
        guard let config = (manifest["config"] as? [String: Any])?["digest"] as? String else {
            throw ContainerClientFailure.unexpectedOutput(client: name, output: "manifest has no config: \(manifest)")
        }
        return config
    }

    private func storedJSON(_ digest: String) async throws -> [String: Any] {
        let bytes = try await daemon.ctr(["content", "get", digest]).standardOutput
        guard let object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw ContainerClientFailure.unexpectedOutput(client: name, output: "content \(digest) is not a JSON object")
        }
        return object
    }
}
