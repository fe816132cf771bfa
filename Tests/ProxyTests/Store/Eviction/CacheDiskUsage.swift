import Foundation

/// What coreutils' `du -sb` says a cache directory takes (apparent sizes of files and
/// directories), the figure `--cache-max-size` bounds.
enum CacheDiskUsage {
    /// `du -sb <directory>` in bytes.
    static func bytes(_ directory: URL) async throws -> Int64 {
        let result = try await ChildProcess.run("/usr/bin/du", ["-sb", directory.path])
        let text = String(decoding: result.standardOutput, as: UTF8.self)
        guard let first = text.split(whereSeparator: { $0 == "\t" || $0 == " " }).first, let value = Int64(first) else {
            throw ChildProcess.Failure.failed(commandLine: "du -sb", termination: result.termination, standardError: text)
        }
        return value
    }
}
