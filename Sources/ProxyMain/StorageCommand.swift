import ArgumentParser
import Foundation
import ProxyConfig
import ProxyStorage
import ProxyStore

/// `cistern storage gc`: operator tools for the storage of pushed images (issue 16). Like
/// `cistern cache gc`, it refuses a storage a live Cistern holds (its PID is named).
struct StorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Maintain the storage of pushed images.",
        subcommands: [GC.self]
    )

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Remove pushed blobs and manifests no remaining manifest of any repository uses (stopped storage only).",
            discussion: """
                Deleting a manifest (DELETE /v2/<name>/manifests/<digest>) makes the blobs only it used \
                collectable; this removes them with their repository links. Blobs uploaded but named by \
                no manifest are removed too.
                """)

        @Option(help: ArgumentHelp("The storage directory (storage_dir).", valueName: "dir"))
        var storageDir: String?

        @Option(help: ArgumentHelp("The cache directory whose storage/ is collected when --storage-dir is not given.", valueName: "dir"))
        var cacheDir: String = Configuration.embeddedDefault.cacheDirectory

        func run() throws {
            let directory = storageDir ?? (cacheDir.hasSuffix("/") ? String(cacheDir.dropLast()) : cacheDir) + "/storage"
            guard FileManager.default.fileExists(atPath: "\(directory)/repositories") else {
                throw ValidationError("storage directory \(directory) does not exist (or holds no pushed images)")
            }
            let locks: [CacheDirectoryLock]
            do {
                // A server holds the cache directory and (since storage gc exists) its storage.
                locks = try (storageDir == nil ? [CacheDirectoryLock(directory: cacheDir)] : [])
                    + [CacheDirectoryLock(directory: directory, role: "storage directory")]
            } catch let failure as CacheDirectoryLock.Failure {
                throw ValidationError("\(failure.description); stop it first")
            }
            defer { for lock in locks { lock.release() } }
            let storage = try LocalStorage(directory: directory, uploadTimeoutNanoseconds: Int64.max)
            let display = ProgressDisplay(label: "storage gc")
            let report = StorageCollector.collect(storage) { done, total in display.update(done: done, total: total) }
            display.finish()
            print("storage directory: \(directory), \(report.repositoryCount) repositories")
            print("manifests: \(report.keptManifestCount) kept, \(report.removedManifestCount) removed")
            print("blobs: \(report.keptBlobCount) kept, \(report.removedBlobCount) removed")
            print("freed: \(report.removedByteCount) bytes; repository links removed: \(report.removedLinkCount)")
            for digest in report.removedDigests { print("removed: \(digest.string)") }
        }
    }
}
