import Foundation

extension Skopeo {
    /// `skopeo copy --preserve-digests oci:<layout> docker://<reference>` to a plain-HTTP
    /// registry (Cistern's storage routes), anonymously or with `--dest-creds`; `all` copies
    /// every child of an index.
    @discardableResult
    static func push(_ image: BuiltImage, to reference: String, all: Bool = false,
                     credentials: RegistrySeeder.Credentials? = nil) async throws -> ChildProcess.Result {
        let credentialFlags = credentials.map { ["--dest-creds", "\($0.username):\($0.password)"] } ?? ["--dest-no-creds"]
        return try await ChildProcess.run(executablePath, [
            "--insecure-policy", "copy", "--retry-times", "0", "--preserve-digests", "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ] + credentialFlags + (all ? ["--all"] : []) + ["oci:\(image.layoutDirectory.path)", "docker://\(reference)"], timeout: .seconds(65))
    }
}
