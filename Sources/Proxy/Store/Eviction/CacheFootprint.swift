import ProxyRegistry
/// What the cache directory takes apart from its content files, as `du -sb` counts it:
/// every directory's own size, tag records, the index, the PID file, quarantined files and anything else that is not a committed blob, size record, manifest
/// or link marker, which the index counts per entry. `storage/` (primary data) is left out.
///
/// Directories under `blobs/`, `sizes/` and `manifests/` are stat'ed, not listed (their files
/// are the index's); `links/` is walked for its directories (marker files count 0 bytes).
/// Files in `tmp/` are fills in progress, counted by their reservations (``CacheIndex``), not here.
/// Blocks on the disk: the I/O pool or a tool.
public enum CacheFootprint {
    /// Name of the directory reserved for primary data (pushed images): never counted.
    public static let storageDirectoryName = "storage"

    /// Overhead bytes of the cache at `layout`.
    public static func overheadByteCount(_ layout: CacheLayout) -> Int64 {
        var total: Int64 = DirectoryListing.status(layout.root)?.byteCount ?? 0
        let contentTrees: Set<String> = ["blobs", "sizes", "manifests"]
        for item in DirectoryListing.items(layout.root) where item.name != storageDirectoryName {
            let path = layout.root + "/" + item.name
            if item.isDirectory && contentTrees.contains(item.name) {
                total += contentTreeDirectories(path)
            } else if item.isDirectory && item.name == "tmp" {
                total += DirectoryListing.status(path)?.byteCount ?? 0
            } else if item.isDirectory && item.name == "links" {
                total += directoriesOnly(path)
            } else if item.isDirectory {
                total += everything(path)
            } else {
                total += DirectoryListing.status(path)?.byteCount ?? 0
            }
        }
        return total
    }

    /// `<tree>`, `<tree>/<algorithm>` and `<tree>/<algorithm>/<2 hex>` directories' own sizes.
    private static func contentTreeDirectories(_ tree: String) -> Int64 {
        var total = DirectoryListing.status(tree)?.byteCount ?? 0
        for algorithm in DirectoryListing.items(tree) where algorithm.isDirectory {
            let path = tree + "/" + algorithm.name
            total += DirectoryListing.status(path)?.byteCount ?? 0
            for prefix in DirectoryListing.items(path) where prefix.isDirectory {
                total += DirectoryListing.status(path + "/" + prefix.name)?.byteCount ?? 0
            }
        }
        return total
    }

    /// Sizes of `path` and every directory below it, plus any non-empty file (an `.origin`).
    /// A `<algorithm>` directory below a repository holds only (empty) markers: stat'ed, not
    /// listed, so a million links cost no walk.
    private static func directoriesOnly(_ path: String, depth: Int = 0) -> Int64 {
        var total = DirectoryListing.status(path)?.byteCount ?? 0
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        if depth >= 3, DigestAlgorithm(rawValue: last) != nil { return total }
        for item in DirectoryListing.items(path) {
            if item.isDirectory {
                total += directoriesOnly(path + "/" + item.name, depth: depth + 1)
            } else if item.name.hasPrefix(".") {
                total += DirectoryListing.status(path + "/" + item.name)?.byteCount ?? 0
            }
        }
        return total
    }

    /// Sizes of `path` and everything below it.
    static func everything(_ path: String) -> Int64 {
        var total = DirectoryListing.status(path)?.byteCount ?? 0
        for item in DirectoryListing.items(path) {
            let child = path + "/" + item.name
            total += item.isDirectory ? everything(child) : (DirectoryListing.status(child)?.byteCount ?? 0)
        }
        return total
    }
}
