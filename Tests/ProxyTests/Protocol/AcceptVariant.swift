/// One way real clients send `Accept` for a manifest (RFC 9110 section 12.5.1;
/// distribution-spec "Pulling manifests"): the exact header lines, in order.
///
/// The set matters to the upstream (distribution 2.8 answers a Docker manifest list to a
/// schema-2-only client with its linux/amd64 child, and refuses OCI types the client does not
/// list); the split into lines must not (containerd sends one comma-joined line, podman one
/// line per type).
struct AcceptVariant: Sendable, CustomStringConvertible {
    /// A short label for failure messages.
    let label: String
    /// The `Accept` field values, one per header line; empty for no `Accept` at all.
    let lines: [String]

    var description: String { label }

    /// The lines as `TestHTTPClient` header pairs.
    var headers: [(String, String)] { lines.map { ("Accept", $0) } }

    /// No `Accept` field.
    static let none = AcceptVariant(label: "no Accept", lines: [])
    /// Only the Docker manifest list.
    static let dockerManifestList = AcceptVariant(label: "Docker manifest list", lines: [FixtureMediaType.dockerManifestList])
    /// Only the Docker schema 2 manifest.
    static let dockerManifest = AcceptVariant(label: "Docker schema 2", lines: [FixtureMediaType.dockerManifest])
    /// Only the OCI image index.
    static let ociIndex = AcceptVariant(label: "OCI index", lines: [FixtureMediaType.ociIndex])
    /// Only the OCI image manifest.
    static let ociManifest = AcceptVariant(label: "OCI manifest", lines: [FixtureMediaType.ociManifest])
    /// containerd 1.7's resolver: one line, comma-joined, ending in `*/*`.
    static let containerd = AcceptVariant(label: "containerd (one comma-joined line)", lines: [
        [FixtureMediaType.dockerManifest, FixtureMediaType.dockerManifestList, FixtureMediaType.ociManifest,
         FixtureMediaType.ociIndex, "*/*"].joined(separator: ", "),
    ])
    /// podman / containers-image: six separate lines, schema 1 types included.
    static let podman = AcceptVariant(label: "podman (six lines)", lines: [
        FixtureMediaType.ociManifest,
        FixtureMediaType.dockerManifest,
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
        FixtureMediaType.dockerManifestList,
        FixtureMediaType.ociIndex,
    ])

    /// Every variant the negotiation tests run.
    static let all: [AcceptVariant] = [.none, .dockerManifestList, .dockerManifest, .ociIndex, .ociManifest, .containerd, .podman]
}
