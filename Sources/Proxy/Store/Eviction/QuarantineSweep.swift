import CEpoll
import Logging

/// Removes quarantined files (content that failed its check on a hit, kept for an operator
/// to inspect: `<cache>/quarantine/<hex>.<ns>.<n>`) when the cache's limits need them gone.
/// They count against `--cache-max-size` like any other file, but nothing reads them, so
/// they go before any cached content: oldest first while usage is over the limit (down to
/// the low watermark), and any older than `--cache-max-age`.
///
/// Blocks on the disk: the eviction pass (I/O pool) or a tool.
enum QuarantineSweep {
    /// One quarantined file.
    struct File: Equatable {
        var path: String
        var byteCount: Int64
        /// When it was quarantined (wall-clock seconds), from its name, else its mtime.
        var quarantinedSeconds: Int64
    }

    /// Which of `files` to remove (pure): those older than the age limit, then the oldest
    /// while `usage` minus what is removed is over the limit, until it is at the low watermark.
    static func victims(_ files: [File], limits: CacheLimits, usage: Int64, nowSeconds: Int64) -> [File] {
        var victims: [File] = []
        var remaining: [File] = []
        let expiry = limits.maximumAgeNanoseconds.map { nowSeconds - $0 / 1_000_000_000 }
        for file in files {
            if let expiry, file.quarantinedSeconds < expiry { victims.append(file) } else { remaining.append(file) }
        }
        guard let maximum = limits.maximumByteCount, let low = limits.lowWatermarkByteCount else { return victims }
        var left = usage - victims.reduce(0) { $0 + $1.byteCount }
        guard left > maximum else { return victims }
        for file in remaining.sorted(by: { ($0.quarantinedSeconds, $0.path) < ($1.quarantinedSeconds, $1.path) }) where left > low {
            victims.append(file)
            left -= file.byteCount
        }
        return victims
    }

    /// Applies ``victims(_:limits:usage:nowSeconds:)`` to the quarantine directory.
    /// - Returns: the bytes removed.
    @discardableResult
    static func sweep(_ layout: CacheLayout, limits: CacheLimits, usage: Int64, nowSeconds: Int64, logger: Logger?) -> Int64 {
        guard limits.isLimited else { return 0 }
        let directory = layout.quarantineDirectory
        var files: [File] = []
        for item in DirectoryListing.items(directory) where !item.isDirectory {
            let path = directory + "/" + item.name
            guard let status = DirectoryListing.status(path) else { continue }
            let parts = item.name.split(separator: ".")
            let named = parts.count >= 3 ? Int64(parts[parts.count - 2]).map { $0 / 1_000_000_000 } : nil
            files.append(File(path: path, byteCount: status.byteCount, quarantinedSeconds: named ?? status.modifiedSeconds))
        }
        var removed: Int64 = 0
        for file in victims(files, limits: limits, usage: usage, nowSeconds: nowSeconds) where cep_unlink(file.path) == 0 {
            removed += file.byteCount
            logger?.notice("quarantined file removed by the cache limits", metadata: ["path": "\(file.path)", "bytes": "\(file.byteCount)"])
        }
        return removed
    }
}
