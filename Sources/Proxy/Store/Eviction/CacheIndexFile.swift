import CEpoll
import ProxyRegistry
import ProxySystem

/// The persisted index: `<cache>/index/entries`, one binary snapshot of ``CacheIndex``
/// (outside `blobs/`, so that tree stays one file per digest).
///
/// Layout (integers little-endian):
/// ```
/// "CSTIDX01"  8 bytes magic and version
/// u32         number of distinct links L, then L × (u16 length + upstream, u16 length + repository)
/// u64         number of entries N, then N ×
///             u8 algorithm (0 sha256, 1 sha512), raw hash (32 or 64 bytes),
///             i64 blob bytes (-1 none), i64 manifest bytes (-1 none), i64 last access (s),
///             u8 retention, u16 link count, link count × u32 link number
/// 64 bytes    SHA-256 (lowercase hex) of everything before it
/// ```
/// `<cache>/index/clean` exists only between a clean shutdown (which writes the index last)
/// and the next start (which removes it): without it, commits after the last periodic
/// snapshot may be missing, so the start reconciles the index with the files.
/// A file that is short, has another magic, or fails its hash is *damaged*: the index is
/// rebuilt from the files (``CacheIndexRebuild``). Written to a temporary name, fsync'd and
/// renamed, on the I/O pool (never a loop thread).
public enum CacheIndexFile {
    static let magic = Array("CSTIDX01".utf8)

    /// Path of the index file under `layout`.
    public static func path(_ layout: CacheLayout) -> String { layout.root + "/index/entries" }

    /// The file's bytes for `entries`.
    public static func encode(_ entries: [Digest: CacheEntry]) -> [UInt8] {
        var links: [RepositoryLink: UInt32] = [:]
        var linkOrder: [RepositoryLink] = []
        for entry in entries.values {
            for link in entry.links where links[link] == nil {
                links[link] = UInt32(linkOrder.count)
                linkOrder.append(link)
            }
        }
        var out = magic
        out.reserveCapacity(entries.count * 64 + linkOrder.count * 48 + 64)
        append(UInt64(linkOrder.count), bytes: 4, to: &out)
        for link in linkOrder {
            appendString(link.upstream, to: &out)
            appendString(link.repository, to: &out)
        }
        append(UInt64(entries.count), bytes: 8, to: &out)
        for (digest, entry) in entries {
            out.append(digest.algorithm == .sha256 ? 0 : 1)
            appendRawHash(digest.hex, to: &out)
            append(UInt64(bitPattern: entry.blobByteCount ?? -1), bytes: 8, to: &out)
            append(UInt64(bitPattern: entry.manifestByteCount ?? -1), bytes: 8, to: &out)
            append(UInt64(bitPattern: entry.lastAccessSeconds), bytes: 8, to: &out)
            out.append(entry.retention.rawValue)
            append(UInt64(min(entry.links.count, Int(UInt16.max))), bytes: 2, to: &out)
            for link in entry.links.prefix(Int(UInt16.max)) { append(UInt64(links[link]!), bytes: 4, to: &out) }
        }
        out.append(contentsOf: out.withUnsafeBytes { sha256Hex($0) })
        return out
    }

    /// What a file held.
    public struct Loaded {
        /// The entries split as ``CacheIndex`` keeps them (by ``CacheIndex/shardIndex(_:)``),
        /// so that a start inserts each entry once.
        public var shards: [[Digest: CacheEntry]]
        /// Whether it was written at a clean shutdown.
        public var clean: Bool

        /// Every entry in one table (the rebuild and the tools; a copy).
        public var entries: [Digest: CacheEntry] {
            var all: [Digest: CacheEntry] = [:]
            all.reserveCapacity(shards.reduce(0) { $0 + $1.count })
            for shard in shards { all.merge(shard) { first, _ in first } }
            return all
        }
    }

    /// Decodes a file's bytes; nil when they are damaged.
    public static func decode(_ bytes: [UInt8]) -> Loaded? {
        guard bytes.count >= magic.count + 4 + 8 + 64 else { return nil }
        let body = bytes.count - 64
        return bytes.withUnsafeBytes { raw -> Loaded? in
            guard raw[0..<magic.count].elementsEqual(magic),
                  sha256Hex(UnsafeRawBufferPointer(rebasing: raw[0..<body])).elementsEqual(raw[body...]) else { return nil }
            var reader = Reader(raw: UnsafeRawBufferPointer(rebasing: raw[0..<body]), offset: magic.count)
            guard let linkCount = reader.integer(4) else { return nil }
            var links: [RepositoryLink] = []
            links.reserveCapacity(Int(linkCount))
            for _ in 0..<linkCount {
                guard let upstream = reader.string(), let repository = reader.string() else { return nil }
                links.append(RepositoryLink(upstream: upstream, repository: repository))
            }
            guard let count = reader.integer(8), count <= UInt64(body) else { return nil }
            var shards = [[Digest: CacheEntry]](repeating: [:], count: CacheIndex.shardCount)
            let share = Int(count) / CacheIndex.shardCount + Int(count) / (CacheIndex.shardCount * 8) + 16
            for index in shards.indices { shards[index].reserveCapacity(share) }
            for _ in 0..<count {
                guard let algorithmCode = reader.integer(1), algorithmCode <= 1 else { return nil }
                let algorithm: DigestAlgorithm = algorithmCode == 0 ? .sha256 : .sha512
                guard let hash = reader.bytes(algorithm.hexLength / 2),
                      let blob = reader.integer(8), let manifest = reader.integer(8), let access = reader.integer(8),
                      let retentionCode = reader.integer(1), let retention = Retention(rawValue: UInt8(retentionCode)),
                      let entryLinkCount = reader.integer(2) else { return nil }
                var entry = CacheEntry(blobByteCount: Self.optional(blob), manifestByteCount: Self.optional(manifest),
                                       lastAccessSeconds: Int64(bitPattern: access), retention: retention)
                for _ in 0..<entryLinkCount {
                    guard let number = reader.integer(4), number < UInt64(links.count) else { return nil }
                    entry.links.append(links[Int(number)])
                }
                let digest = Digest(algorithm: algorithm, rawHash: hash)
                shards[CacheIndex.shardIndex(digest)][digest] = entry
            }
            guard reader.offset == body else { return nil }
            return Loaded(shards: shards, clean: false)
        }
    }

    /// Reads and decodes the file; nil when it is missing or damaged. `clean` says whether
    /// the clean-shutdown marker was there.
    public static func load(_ layout: CacheLayout) -> Loaded? {
        guard var loaded = readFile(layout) else { return nil }
        loaded.clean = cep_stat_size(cleanMarkerPath(layout)) >= 0
        return loaded
    }

    private static func readFile(_ layout: CacheLayout) -> Loaded? {
        let fd = cep_open_read(path(layout))
        guard fd >= 0 else { return nil }
        let file = SharedFile(descriptor: fd)
        guard let size = try? file.size(), size > 0, size < Int64(Int32.max) * 8 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { cep_pread(fd, $0.baseAddress! + offset, $0.count - offset, Int64(offset)) }
            guard n > 0 else { return nil }
            offset += n
        }
        return decode(bytes)
    }

    /// Writes `entries` (temporary file, fsync, rename, directory fsync). Blocks on the disk:
    /// the I/O pool or a tool, never a loop thread.
    public static func write(_ entries: [Digest: CacheEntry], layout: CacheLayout) throws(SystemError) {
        let bytes = encode(entries)
        let directory = layout.root + "/index"
        let temporary = directory + "/entries.tmp"
        _ = try SystemError.check(cep_mkdir_p(directory), "mkdir \(directory)")
        _ = cep_unlink(temporary)
        try DurableReplace.write(bytes, to: path(layout), temporaryPath: temporary)
    }

    /// Path of the clean-shutdown marker.
    static func cleanMarkerPath(_ layout: CacheLayout) -> String { layout.root + "/index/clean" }

    /// Creates (`clean` true, after the last write of a clean shutdown) or removes (at the
    /// start, before the cache changes) the clean-shutdown marker.
    public static func setClean(_ clean: Bool, layout: CacheLayout) {
        let marker = cleanMarkerPath(layout)
        if clean {
            _ = cep_mkdir_p(layout.root + "/index")
            let fd = cep_open_create(marker)
            if fd >= 0 { _ = cep_close(fd) }
        } else {
            _ = cep_unlink(marker)
        }
        _ = cep_fsync_dir(layout.root + "/index")
    }

    /// SHA-256 of `raw` as 64 lowercase hex bytes.
    static func sha256Hex(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        let hasher = ContentHasher(.sha256)
        hasher.update(raw)
        return Array(hasher.finalizeHex().utf8)
    }

    private static func optional(_ value: UInt64) -> Int64? {
        let signed = Int64(bitPattern: value)
        return signed < 0 ? nil : signed
    }

    private static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for index in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        append(UInt64(utf8.count), bytes: 2, to: &out)
        out.append(contentsOf: utf8)
    }

    private static func appendRawHash(_ hex: String, to out: inout [UInt8]) {
        var high: UInt8 = 0
        var isHigh = true
        for byte in hex.utf8 {
            let nibble = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
            if isHigh { high = nibble } else { out.append(high << 4 | nibble) }
            isHigh.toggle()
        }
    }

    /// Sequential little-endian reads over the body; nil past its end.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset: Int

        mutating func integer(_ count: Int) -> UInt64? {
            guard offset + count <= raw.count else { return nil }
            var value: UInt64 = 0
            if count == 8 {
                value = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            } else {
                var index = 0
                while index < count { value |= UInt64(raw[offset &+ index]) << (8 &* UInt64(index)); index &+= 1 }
            }
            offset += count
            return value
        }

        mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
            guard offset + count <= raw.count else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
        }

        mutating func string() -> String? {
            guard let length = integer(2), let bytes = bytes(Int(length)) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
