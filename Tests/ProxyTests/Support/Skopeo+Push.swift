import Foundation

extension Skopeo {
    /// `skopeo copy --preserve-digests oci:<layout> docker://<reference>` to a plain-HTTP
    /// registry (Cistern's storage routes), anonymously; `all` copies every child of an index.
    static func push(_ image: BuiltImage, to reference: String, all: Bool = false) async throws {
        try await ChildProcess.run(executablePath, [
            "--insecure-policy", "copy", "--retry-times", "0", "--preserve-digests", "--src-tls-verify=false",
            "--dest-tls-verify=false", "--dest-no-creds",
        ] + (all ? ["--all"] : []) + ["oci:\(image.layoutDirectory.path)", "docker://\(reference)"], timeout: .seconds(65))
    }
}
