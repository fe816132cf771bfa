import ProxyRegistry
/// Builds the index from the files when its snapshot is missing, damaged or may be behind
/// (no clean shutdown): every committed blob and manifest by its path, sizes from `lstat`,
/// last access from the file's modification time (or the snapshot's, when it knew the
/// digest), links from the marker files under `links/`.
///
/// Blocks on the disk (a `readdir` per directory and an `lstat` per content file): runs at
/// start-up before any loop, or in a tool.
public enum CacheIndexRebuild {
    /// The rebuilt table.
    /// - Parameter known: a snapshot whose access times (and retention) are kept for digests
    ///   still on disk.
    public static func rebuild(_ layout: CacheLayout, known: [Digest: CacheEntry] = [:]) -> [Digest: CacheEntry] {
        var entries: [Digest: CacheEntry] = [:]
        entries.reserveCapacity(known.count)
        func entry(_ digest: Digest, modified: Int64) -> CacheEntry {
            if let existing = entries[digest] { return existing }
            var fresh = CacheEntry(lastAccessSeconds: modified)
            if let old = known[digest] {
                fresh.lastAccessSeconds = old.lastAccessSeconds
                fresh.retention = old.retention
            }
            return fresh
        }
        for (digest, path) in contentFiles(layout.blobsDirectory) {
            guard let status = DirectoryListing.status(path), !status.isDirectory else { continue }
            var found = entry(digest, modified: status.modifiedSeconds)
            found.blobByteCount = status.byteCount
            entries[digest] = found
        }
        for (digest, path) in contentFiles(layout.manifestsDirectory) {
            guard let status = DirectoryListing.status(path), !status.isDirectory else { continue }
            var found = entry(digest, modified: status.modifiedSeconds)
            found.manifestByteCount = status.byteCount
            entries[digest] = found
        }
        let linksRoot = layout.root + "/links"
        for upstream in DirectoryListing.items(linksRoot) where upstream.isDirectory {
            collectLinks(in: linksRoot + "/" + upstream.name, upstream: upstream.name, repository: [], into: &entries)
        }
        return entries
    }

    /// Every `<root>/<algorithm>/<2 hex>/<hex>` file: its digest and path.
    static func contentFiles(_ root: String) -> [(Digest, String)] {
        var files: [(Digest, String)] = []
        for algorithm in DigestAlgorithm.allCases {
            let algorithmDirectory = "\(root)/\(algorithm.rawValue)"
            for prefix in DirectoryListing.items(algorithmDirectory) where prefix.isDirectory {
                let directory = "\(algorithmDirectory)/\(prefix.name)"
                for file in DirectoryListing.items(directory) where !file.isDirectory {
                    guard let digest = try? Digest(parsing: "\(algorithm.rawValue):\(file.name)"),
                          file.name.hasPrefix(prefix.name) else { continue }
                    files.append((digest, "\(directory)/\(file.name)"))
                }
            }
        }
        return files
    }

    /// Walks `links/<upstream>/<repository…>/<algorithm>/<hex>`; links of digests with no
    /// stored content are dropped (they vouch for nothing the cache holds).
    private static func collectLinks(in directory: String, upstream: String, repository: [String],
                                     into entries: inout [Digest: CacheEntry]) {
        let items = DirectoryListing.items(directory)
        if let algorithm = DigestAlgorithm(rawValue: repository.last ?? ""), repository.count >= 2 {
            let name = repository.dropLast().joined(separator: "/")
            for item in items where !item.isDirectory {
                guard let digest = try? Digest(parsing: "\(algorithm.rawValue):\(item.name)"),
                      var entry = entries[digest] else { continue }
                let link = RepositoryLink(upstream: upstream, repository: name)
                if !entry.links.contains(link) { entry.links.append(link) }
                entries[digest] = entry
            }
        }
        for item in items where item.isDirectory && !item.name.hasPrefix(".") {
            collectLinks(in: directory + "/" + item.name, upstream: upstream, repository: repository + [item.name], into: &entries)
        }
    }
}
