import Glibc

/// A blob the origin generates instead of storing: byte `o` of blob `seed` is
/// `BlobPattern[(o + seed × 65 537) mod 1 MiB]`, so any byte range can be produced in O(1)
/// and different seeds give different digests.
public struct SyntheticBlob: Sendable, Hashable {
    /// Which rotation of the pattern.
    public let seed: Int
    /// Length in bytes.
    public let byteCount: Int64
    /// `sha256:<hex>` of the content.
    public let digest: String

    /// Describes blob `seed` of `byteCount` bytes and computes its digest (about 1 GB/s).
    public init(seed: Int, byteCount: Int64) {
        self.seed = seed
        self.byteCount = byteCount
        let hasher = SHA256Hasher()
        var offset: Int64 = 0
        while offset < byteCount {
            let taken = SyntheticBlob.withContiguousBytes(seed: seed, offset: offset, limit: byteCount - offset) { chunk in
                hasher.update(chunk)
                return chunk.count
            }
            offset += Int64(taken)
        }
        digest = "sha256:" + hasher.finalizeHex()
    }

    /// Calls `body` with the longest contiguous run of content starting at `offset` (at most
    /// `limit` bytes, at most up to the end of the pattern) and returns its result.
    @inline(__always)
    public func withContiguousBytes<R>(at offset: Int64, limit: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        SyntheticBlob.withContiguousBytes(seed: seed, offset: offset, limit: min(limit, byteCount - offset), body)
    }

    @inline(__always)
    private static func withContiguousBytes<R>(seed: Int, offset: Int64, limit: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let patternCount = Int64(BlobPattern.byteCount)
        let start = Int((offset + Int64(seed) * 65_537) % patternCount)
        let count = Int(min(limit, patternCount - Int64(start)))
        return BlobPattern.shared.bytes.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
    }

    /// Writes the whole content to `path` (for the ceiling server and the suite).
    /// - Returns: false when the file could not be written.
    public func write(toPath path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var offset: Int64 = 0
        while offset < byteCount {
            let written = withContiguousBytes(at: offset, limit: byteCount - offset) { chunk in
                Glibc.write(fd, chunk.baseAddress, chunk.count)
            }
            guard written > 0 else { return false }
            offset += Int64(written)
        }
        return true
    }
}

extension SyntheticBlob {
    /// `<hex>` SHA-256 of the bytes in `range` (what a correct range response carries).
    public func digest(of range: Range<Int64>) -> String {
        let hasher = SHA256Hasher()
        var offset = range.lowerBound
        while offset < range.upperBound {
            let taken = withContiguousBytes(at: offset, limit: range.upperBound - offset) { chunk in
                hasher.update(chunk)
                return chunk.count
            }
            offset += Int64(taken)
        }
        return hasher.finalizeHex()
    }
}
