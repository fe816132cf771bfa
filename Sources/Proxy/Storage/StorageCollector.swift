import CEpoll
import ProxyRegistry
import ProxyStore

/// `cistern storage gc`: removes what no repository of a stopped storage still needs
/// (mark and sweep, like the reference registry's `garbage-collect`).
///
/// Mark: every manifest a repository holds (its `_manifests` links and the targets of its
/// tags) is live, and so is everything a live manifest names, followed to the end: config
/// and layers, an index's child manifests, the `subject`. Sweep: every blob and manifest
/// file not marked is removed, with each repository's link to it and the referrer records
/// naming a removed manifest. Deleting a manifest therefore makes the blobs only it used
/// collectable; a blob another image (in any repository) still uses stays, and so do its
/// links. Blobs uploaded but never named by a manifest are removed too: the storage must be
/// stopped (the caller holds its ``CacheDirectoryLock``), so no push is in progress.
/// Blocks on the disk.
public enum StorageCollector {
    /// What `gc` found and did.
    public struct Report: Sendable, Equatable {
        public var repositoryCount = 0
        public var keptManifestCount = 0
        public var removedManifestCount = 0
        public var keptBlobCount = 0
        public var removedBlobCount = 0
        /// Bytes of the removed blob and manifest files.
        public var removedByteCount: Int64 = 0
        /// Repository links (`_blobs`) and referrer records removed with their content.
        public var removedLinkCount = 0
        /// The removed digests (blobs and manifests), in sweep order.
        public var removedDigests: [Digest] = []
    }

    /// Collects `storage`. `progress(done, total)` is called as repositories are marked and
    /// files swept (the total is known after one listing of the content directories).
    public static func collect(_ storage: LocalStorage, progress: (Int, Int) -> Void = { _, _ in }) -> Report {
        let repositories = repositoryPaths(under: "\(storage.root)/repositories", name: "")
        let blobFiles = contentFiles(storage.blobs.layout.blobsDirectory)
        let manifestFiles = contentFiles(storage.blobs.layout.manifestsDirectory)
        let total = repositories.count + blobFiles.count + manifestFiles.count
        var done = 0
        var report = Report(repositoryCount: repositories.count)

        var live = Set<Digest>()
        var pending: [Digest] = []
        for repository in repositories {
            pending += links(in: "\(repository.path)/_manifests")
            for tag in DirectoryListing.items("\(repository.path)/_tags") where !tag.isDirectory && !tag.name.hasSuffix(".tmp") {
                if let name = try? RepositoryName(parsing: repository.name), let digest = storage.digest(name, tag: tag.name) {
                    pending.append(digest)
                }
            }
            while let digest = pending.popLast() {
                guard live.insert(digest).inserted, let stored = storage.manifests.read(digest),
                      let manifest = try? PushedManifest(parsing: stored.bytes) else { continue }
                live.formUnion(manifest.blobs)
                pending += manifest.children
                if let subject = manifest.subject { pending.append(subject) }
            }
            done += 1
            progress(done, total)
        }

        var removed = Set<Digest>()
        for digest in manifestFiles {
            if live.contains(digest) {
                report.keptManifestCount += 1
            } else if let size = storage.blobs.removeManifestFile(digest) {
                storage.manifests.forgetFromMemory(digest)
                report.removedManifestCount += 1
                report.removedByteCount += size
                report.removedDigests.append(digest)
                removed.insert(digest)
            }
            done += 1
            progress(done, total)
        }
        for digest in blobFiles {
            if live.contains(digest) {
                report.keptBlobCount += 1
            } else if let size = storage.blobs.removeCommittedBlob(digest) {
                report.removedBlobCount += 1
                report.removedByteCount += size
                report.removedDigests.append(digest)
                removed.insert(digest)
            }
            done += 1
            progress(done, total)
        }
        for repository in repositories where !removed.isEmpty {
            report.removedLinkCount += unlink(removed, in: "\(repository.path)/_blobs")
            for subject in DirectoryListing.items("\(repository.path)/_referrers") where subject.isDirectory {
                let directory = "\(repository.path)/_referrers/\(subject.name)"
                for referrer in DirectoryListing.items(directory) where !referrer.isDirectory {
                    guard let digest = try? Digest(parsing: "sha256:\(referrer.name)"), removed.contains(digest) else { continue }
                    if cep_unlink("\(directory)/\(referrer.name)") == 0 { report.removedLinkCount += 1 }
                }
            }
        }
        progress(total, total)
        return report
    }

    /// The repositories under `path` (recursively: names nest, and `_` directories belong to
    /// the repository they are in), as (name, directory).
    static func repositoryPaths(under path: String, name: String) -> [(name: String, path: String)] {
        var found: [(name: String, path: String)] = []
        let items = DirectoryListing.items(path)
        if !name.isEmpty, items.contains(where: { $0.isDirectory && $0.name.hasPrefix("_") }) {
            found.append((name, path))
        }
        for item in items where item.isDirectory && !item.name.hasPrefix("_") {
            found += repositoryPaths(under: "\(path)/\(item.name)", name: name.isEmpty ? item.name : "\(name)/\(item.name)")
        }
        return found.sorted { $0.name < $1.name }
    }

    /// The digests of the content files under `<directory>/<algorithm>/<2 hex>/<hex>`.
    static func contentFiles(_ directory: String) -> [Digest] {
        var digests: [Digest] = []
        for algorithm in DirectoryListing.items(directory) where algorithm.isDirectory {
            for prefix in DirectoryListing.items("\(directory)/\(algorithm.name)") where prefix.isDirectory {
                for file in DirectoryListing.items("\(directory)/\(algorithm.name)/\(prefix.name)") where !file.isDirectory {
                    if let digest = try? Digest(parsing: "\(algorithm.name):\(file.name)") { digests.append(digest) }
                }
            }
        }
        return digests
    }

    /// The digests linked under `<directory>/<algorithm>/<hex>` (a repository's `_manifests`
    /// or `_blobs`).
    static func links(in directory: String) -> [Digest] {
        DirectoryListing.items(directory).filter(\.isDirectory).flatMap { algorithm in
            DirectoryListing.items("\(directory)/\(algorithm.name)").compactMap { try? Digest(parsing: "\(algorithm.name):\($0.name)") }
        }
    }

    /// Removes the links under `directory` (`<algorithm>/<hex>`) to digests in `removed`;
    /// returns how many.
    private static func unlink(_ removed: Set<Digest>, in directory: String) -> Int {
        var count = 0
        for digest in links(in: directory) where removed.contains(digest) {
            if cep_unlink("\(directory)/\(digest.pathComponents.algorithm)/\(digest.hex)") == 0 { count += 1 }
        }
        return count
    }
}
