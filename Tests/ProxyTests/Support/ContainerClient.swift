/// A real registry client (skopeo, podman, containerd's `ctr`, the Docker engine) configured to
/// pull `docker.io/<repository>` through a Cistern mirror, as the README tells operators to set
/// it up; its own idea of where `docker.io` lives is unreachable, so nothing can come from
/// anywhere but the mirror.
protocol ContainerClient: Sendable {
    /// The client's name in messages (`podman`, `containerd`, …).
    var name: String { get }

    /// Whether, for a reference that resolves to an index (or manifest list), `pull` reports the
    /// index's digest (docker, containerd, podman) rather than the platform manifest's (skopeo
    /// without `--all`, which stores only the manifest it chose).
    var reportsIndexDigest: Bool { get }

    /// Pulls `reference` (linux/amd64 from an index) and reports what the client stored.
    /// Each call downloads everything again: the client holds nothing of the image before it
    /// (see `remove`).
    /// - Throws: `ChildProcess.Failure` when the client fails (its stderr is in the message).
    func pull(_ reference: ImageReference) async throws -> PulledImage

    /// Removes the pulled image and its layers from the client's store, so the next pull of
    /// the same content downloads it again.
    /// - Throws: `ChildProcess.Failure`, or `ContainerClientFailure.contentLeftBehind`.
    func remove(_ reference: ImageReference) async throws
}

/// A pull request: a `docker.io` repository and a tag or digest.
struct ImageReference: Sendable, CustomStringConvertible {
    /// The repository path, e.g. `library/oci-by-tag` (Docker Hub spelling, so dockerd mirrors it).
    let repository: String
    /// Either `:<tag>` or `@sha256:<hex>`, separator included.
    let suffix: String

    /// `repository:tag`.
    static func tag(_ tag: String, in repository: String) -> ImageReference {
        ImageReference(repository: repository, suffix: ":\(tag)")
    }

    /// `repository@digest`.
    static func digest(_ digest: String, in repository: String) -> ImageReference {
        ImageReference(repository: repository, suffix: "@\(digest)")
    }

    /// `docker.io/<repository><suffix>`, the fully qualified name the daemons are asked for.
    var dockerHubName: String { "docker.io/\(repository)\(suffix)" }

    var description: String { "\(repository)\(suffix)" }
}

/// What a client reports after a pull: the digests it verified and recorded.
struct PulledImage: Sendable, Equatable, CustomStringConvertible {
    /// The manifest digest the client records for the reference (see
    /// `ContainerClient.reportsIndexDigest`).
    let manifestDigest: String
    /// The image config's digest (the image ID of docker and podman).
    let configDigest: String

    var description: String { "manifest \(manifestDigest), config \(configDigest)" }
}

/// Errors of the client fixtures that are not a failed child process.
enum ContainerClientFailure: Error, CustomStringConvertible {
    /// The client's output could not be read as expected.
    case unexpectedOutput(client: String, output: String)
    /// After `remove`, the client still holds content, so a next pull would not download it.
    case contentLeftBehind(client: String, listing: String)
    /// A daemon did not come up; CI must be able to run it, so this fails the test.
    case daemonDidNotStart(name: String, log: String)

    var description: String {
        switch self {
        case .unexpectedOutput(let client, let output): "\(client): unexpected output: \(output)"
        case .contentLeftBehind(let client, let listing): "\(client) still holds content after removal:\n\(listing)"
        case .daemonDidNotStart(let name, let log): "\(name) did not start (it must on Debian 12 as root):\n\(log)"
        }
    }
}
