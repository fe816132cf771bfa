import CEpoll
import ProxyRegistry
import ProxySystem

/// The size of every committed blob, recorded when it was committed, so that a hit can tell
/// a file that is still whole from one that was truncated, emptied or replaced since: a blob
/// whose file no longer has its recorded size must never be served as a complete 200.
///
/// One small file per blob, `<cache>/sizes/<algorithm>/<first two hex>/<hex>`, holding the
/// size in decimal ASCII; written (fsync, rename) before the blob itself is renamed into
/// place, so a committed blob always has its record. Kept apart from `blobs/` so that tree
/// stays exactly one file per digest, as operators' tools expect.
/// Thread-safe: each method is a few syscalls on distinct paths; rename is atomic.
struct BlobSizeRecords: Sendable {
    let layout: CacheLayout

    private func directory(_ digest: Digest) -> String {
        "\(layout.sizesDirectory)/\(digest.pathComponents.algorithm)/\(digest.hex.prefix(2))"
    }

    func path(_ digest: Digest) -> String {
        "\(directory(digest))/\(digest.hex)"
    }

    /// Records `size` for `digest`, replacing any earlier record.
    /// - Parameter temporaryPath: a unique path in the cache's temporary directory.
    func record(_ size: Int64, for digest: Digest, temporaryPath: String) throws(SystemError) {
        try DurableReplace.write(Array(String(size).utf8), to: path(digest), temporaryPath: temporaryPath)
    }

    /// The recorded size of `digest`, or nil when there is no (readable) record.
    func recordedSize(_ digest: Digest) -> Int64? {
        let fd = cep_open_read(path(digest))
        guard fd >= 0 else { return nil }
        defer { _ = cep_close(fd) }
        var buffer = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes: any Int64 in decimal fits
        let count = withUnsafeMutableBytes(of: &buffer) { cep_pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0, count < 24 else { return nil }
        return withUnsafeBytes(of: &buffer) { bytes in
            var value: Int64 = 0
            for byte in bytes.prefix(count) {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !overflowTimes, !overflowSum else { return nil }
                value = sum
            }
            return value
        }
    }

    /// Removes the record of `digest` (its blob was moved aside).
    func remove(_ digest: Digest) {
        _ = cep_unlink(path(digest))
    }
}
