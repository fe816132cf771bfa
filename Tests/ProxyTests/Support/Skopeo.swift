import Foundation

/// The real client side of the integration tests: `skopeo` 1.9 (Debian package `skopeo`)
/// pulling from a registry into its `dir:` transport, with a hard timeout.
///
/// Always run with `--insecure-policy` (no /etc/containers/policy.json needed) and
/// `--retry-times 0` (a retry would change the request counts the tests assert).
/// Against a plain-HTTP registry with `tlsVerify == false`, skopeo first pings
/// `https://host/v2/`, gets "server gave HTTP response to HTTPS client", and falls back to
/// `http://`; that TLS attempt never reaches the registry's access log.
struct Skopeo: Sendable {
    /// Where Debian installs it.
    static let executablePath = "/usr/bin/skopeo"

    /// What `verifyDirectory` found in a `dir:` copy.
    struct VerifiedDirectory: Sendable {
        /// `sha256:` digest of `manifest.json` as written (the image manifest, or with `--all`
        /// the index / list).
        let manifestDigest: String
        /// `manifest.json`'s `mediaType` field, if present.
        let manifestMediaType: String?
        /// Every child manifest, config and layer whose file exists with the right size and
        /// SHA-256, in manifest order.
        let verifiedDigests: [String]
    }

    /// Errors from `verifyDirectory`.
    enum Failure: Error, CustomStringConvertible, Equatable {
        /// A referenced file is not in the directory.
        case missingFile(digest: String, path: String)
        /// A file's SHA-256 differs from the digest it is stored under.
        case digestMismatch(expected: String, actual: String)
        /// A file's length differs from the descriptor's size.
        case sizeMismatch(digest: String, expected: Int, actual: Int)
        /// `manifest.json` (or a child manifest) is not a manifest.
        case malformedManifest(String)

        var description: String {
            switch self {
            case .missingFile(let digest, let path): "\(digest) missing (\(path))"
            case .digestMismatch(let expected, let actual): "content of \(expected) hashes to \(actual)"
            case .sizeMismatch(let digest, let expected, let actual): "\(digest) is \(actual) bytes, descriptor says \(expected)"
            case .malformedManifest(let detail): "malformed manifest: \(detail)"
            }
        }
    }

    /// Require HTTPS and verify certificates (`--src-tls-verify`); false also allows plain HTTP.
    var tlsVerify = false
    /// `--src-cert-dir`: a directory whose `*.crt` files are extra trusted CAs.
    var certificateDirectory: URL? = nil
    /// `--src-creds`; nil means `--src-no-creds` (anonymous, ignoring any auth.json).
    var credentials: RegistrySeeder.Credentials? = nil
    /// Hard limit for one skopeo run; it is killed after this.
    var timeout: Duration = .seconds(60)
    /// Adds `--debug`, which logs every HTTP request skopeo makes to stderr.
    var debug = false

    /// A skopeo with plain HTTP allowed, anonymous, 60 s timeout.
    init() {}

    /// `skopeo copy docker://<image> dir:<destination>` (`--all` copies every platform).
    /// - Parameter image: `host:port/repository:tag` or `host:port/repository@sha256:…`.
    /// - Returns: the finished run (stderr holds the `--debug` log when asked).
    /// - Throws: `ChildProcess.Failure` (missing skopeo, non-zero exit, timeout).
    @discardableResult
    func copy(_ image: String, to destination: URL, all: Bool = false) async throws -> ChildProcess.Result {
        try await run(["copy", "--retry-times", "0"] + sourceFlags + (all ? ["--all"] : [])
            + ["docker://\(image)", "dir:\(destination.path)"])
    }

    /// `skopeo inspect --raw docker://<image>`: the manifest bytes the registry serves.
    /// - Throws: `ChildProcess.Failure` (missing skopeo, non-zero exit, timeout).
    func inspectRaw(_ image: String) async throws -> Data {
        try await run(["inspect", "--raw", "--retry-times", "0"] + flags(prefix: "") + ["docker://\(image)"]).standardOutput
    }

    private var sourceFlags: [String] { flags(prefix: "src-") }

    private func flags(prefix: String) -> [String] {
        var flags = ["--\(prefix)tls-verify=\(tlsVerify)"]
        if let certificateDirectory { flags += ["--\(prefix)cert-dir", certificateDirectory.path] }
        if let credentials {
            flags += ["--\(prefix)creds", "\(credentials.username):\(credentials.password)"]
        } else {
            flags += ["--\(prefix)no-creds"]
        }
        return flags
    }

    private func run(_ arguments: [String]) async throws -> ChildProcess.Result {
        let seconds = Int(timeout.components.seconds)
        return try await ChildProcess.run(
            Self.executablePath,
            ["--insecure-policy", "--command-timeout", "\(seconds)s"] + (debug ? ["--debug"] : []) + arguments,
            timeout: timeout + .seconds(5))
    }
}
