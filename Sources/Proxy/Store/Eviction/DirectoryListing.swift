import Glibc

/// The names in one directory, with whether each is a directory (`readdir`'s `d_type`, with
/// an `lstat` when the file system does not say). For the cache tools, the index rebuild and
/// the footprint walk: pool threads and tools only, never a loop thread.
package enum DirectoryListing {
    /// One directory entry.
    package struct Item {
        package var name: String
        package var isDirectory: Bool
    }

    /// The items of `path` except `.` and `..`; empty when it cannot be read.
    package static func items(_ path: String) -> [Item] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var items: [Item] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var status = stat()
                isDirectory = lstat(path + "/" + name, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
            }
            items.append(Item(name: name, isDirectory: isDirectory))
        }
        return items
    }

    /// `lstat` of `path`: its size in bytes and modification time (s), nil when missing.
    static func status(_ path: String) -> (byteCount: Int64, modifiedSeconds: Int64, isDirectory: Bool)? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return (Int64(status.st_size), Int64(status.st_mtim.tv_sec), (status.st_mode & S_IFMT) == S_IFDIR)
    }
}
