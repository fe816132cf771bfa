import Foundation

/// SHA-256 digests of files, computed by coreutils' `sha256sum` so fixtures check content with a
/// tool independent of the code under test (and fast even in debug builds).
enum SHA256Sum {
    /// Errors from reading `sha256sum`'s output.
    enum Failure: Error, Equatable {
        /// The output did not have one `<64 hex> <path>` line per file.
        case unexpectedOutput(String)
    }

    /// Where coreutils installs the tool.
    static let executablePath = "/usr/bin/sha256sum"

    /// The lowercase hex SHA-256 of each file, in the order given.
    /// - Throws: `ChildProcess.Failure` when a file cannot be read, `Failure` on odd output.
    static func hexDigests(ofFiles files: [URL]) async throws -> [String] {
        guard !files.isEmpty else { return [] }
        let result = try await ChildProcess.run(executablePath, ["--"] + files.map(\.path))
        let lines = String(decoding: result.standardOutput, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: true)
        let digests = lines.map { String($0.prefix(64)) }
        guard digests.count == files.count,
              digests.allSatisfy({ $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
        else { throw Failure.unexpectedOutput(String(decoding: result.standardOutput, as: UTF8.self)) }
        return digests
    }

    /// The OCI digest string `sha256:<hex>` of one file (OCI image-spec descriptor.md, "Digests").
    static func digest(ofFile file: URL) async throws -> String {
        "sha256:" + (try await hexDigests(ofFiles: [file]))[0]
    }
}
