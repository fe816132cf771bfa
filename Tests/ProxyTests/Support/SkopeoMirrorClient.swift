import Foundation

/// skopeo as a `ContainerClient`: `skopeo copy --src-tls-verify=false
/// docker://<mirror>/<repository>… dir:<fresh directory>` addressed to Cistern directly (skopeo
/// has no mirror setting of its own; Cistern's default upstream serves requests without `ns=`).
/// Every pull goes to a new directory, which `Skopeo.verifyDirectory` checks file by file.
struct SkopeoMirrorClient: ContainerClient {
    /// `127.0.0.1:<port>` of the Cistern mirror.
    let mirrorHostAndPort: String
    /// Where each pull gets its own directory.
    let workDirectory: TemporaryDirectory
    /// How skopeo connects: by default plain HTTP allowed (`--src-tls-verify=false`); with
    /// `tlsVerify` and a `certificateDirectory`, HTTPS verified against that CA only.
    var skopeo = Skopeo()

    var name: String { "skopeo" }
    var reportsIndexDigest: Bool { false }

    func pull(_ reference: ImageReference) async throws -> PulledImage {
        let destination = workDirectory.appending("pull-\(UUID().uuidString)")
        try await skopeo.copy("\(mirrorHostAndPort)/\(reference)", to: destination)
        let verified = try await Skopeo.verifyDirectory(destination)
        guard let config = verified.verifiedDigests.first else {
            throw ContainerClientFailure.unexpectedOutput(client: name, output: "no config in \(destination.path)")
        }
        return PulledImage(manifestDigest: verified.manifestDigest, configDigest: config)
    }

    /// Nothing to remove: each pull writes a new directory and skopeo keeps no cache.
    func remove(_ reference: ImageReference) async throws {}
}
