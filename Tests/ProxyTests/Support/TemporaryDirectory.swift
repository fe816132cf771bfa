import Foundation
import Glibc

/// A fresh, uniquely named directory under the system temporary directory, removed with its
/// contents on `remove()` or, at the latest, when the last reference goes away.
final class TemporaryDirectory: Sendable {
    /// The directory's absolute location.
    let url: URL

    /// The directory's absolute path.
    var path: String { url.path }

    /// Creates the directory, named `<prefix>-<UUID>` under `FileManager.temporaryDirectory`.
    /// - Throws: the `FileManager` error when the directory cannot be created.
    init(prefix: String = "cistern-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Creates a directory with a short path, `/tmp/<prefix>.XXXXXX` (`mkdtemp`), for programs
    /// that refuse long paths: podman's run root (about 50 characters at most) and unix socket
    /// paths (108 bytes, `sun_path`) under it.
    /// - Throws: `CocoaError(.fileWriteUnknown)` when `mkdtemp` fails.
    init(shortPrefix prefix: String) throws {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "/tmp/\(prefix).XXXXXX"])
        }
        url = URL(fileURLWithPath: String(cString: created), isDirectory: true)
    }

    /// The location of `relativePath` inside this directory (nothing is created).
    func appending(_ relativePath: String) -> URL {
        url.appendingPathComponent(relativePath)
    }

    /// Creates the subdirectory `relativePath` (and its parents) and returns its location.
    /// - Throws: the `FileManager` error when it cannot be created.
    func makeSubdirectory(_ relativePath: String) throws -> URL {
        let subdirectory = url.appendingPathComponent(relativePath, isDirectory: true)
        try FileManager.default.createDirectory(at: subdirectory, withIntermediateDirectories: true)
        return subdirectory
    }

    /// Removes the directory and everything in it. Idempotent; a missing directory is not an error.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit { remove() }
}
