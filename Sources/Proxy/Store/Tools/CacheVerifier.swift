import CEpoll
import ProxyRegistry
import ProxySystem

/// `cistern cache verify`: re-hashes every committed blob and manifest and reports each one
/// whose bytes do not match its digest (or cannot be read). Read-only. Blocks on the disk:
/// a tool on a stopped cache, never a loop.
public enum CacheVerifier {
    /// One damaged file.
    public struct Damage: Sendable, Equatable, CustomStringConvertible {
        public var digest: Digest
        /// `blob` or `manifest`.
        public var kind: String
        public var path: String
        public var reason: String

        public var description: String { "\(digest) (\(kind) \(path)): \(reason)" }
    }

    /// Progress: files checked, files in all, bytes hashed.
    public typealias Progress = (_ checkedCount: Int, _ totalCount: Int, _ byteCount: Int64) -> Void

    /// Checks the cache at `layout`.
    /// - Returns: the damaged files, in blob-then-manifest, path order.
    public static func verify(_ layout: CacheLayout, progress: Progress = { _, _, _ in }) -> [Damage] {
        let blobs = CacheIndexRebuild.contentFiles(layout.blobsDirectory).sorted { $0.1 < $1.1 }
        let manifests = CacheIndexRebuild.contentFiles(layout.manifestsDirectory).sorted { $0.1 < $1.1 }
        let total = blobs.count + manifests.count
        var damaged: [Damage] = []
        var checked = 0
        var hashedBytes: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for (digest, path) in blobs {
            switch hashFile(path, algorithm: digest.algorithm, buffer: buffer) {
            case .success(let (hex, count)):
                hashedBytes += count
                if hex != digest.hex {
                    damaged.append(Damage(digest: digest, kind: "blob", path: path,
                                          reason: "\(count) bytes hash to \(digest.algorithm.rawValue):\(hex)"))
                }
            case .failure(let error):
                damaged.append(Damage(digest: digest, kind: "blob", path: path, reason: "unreadable: \(error)"))
            }
            checked += 1
            progress(checked, total, hashedBytes)
        }
        for (digest, path) in manifests {
            if let reason = manifestDamage(path, digest: digest) {
                damaged.append(Damage(digest: digest, kind: "manifest", path: path, reason: reason))
            }
            checked += 1
            progress(checked, total, hashedBytes)
        }
        return damaged
    }

    /// The hex digest of the file at `path` and its length.
    private static func hashFile(_ path: String, algorithm: DigestAlgorithm,
                                 buffer: UnsafeMutableRawBufferPointer) -> Result<(String, Int64), SystemError> {
        let fd = cep_open_read(path)
        guard fd >= 0 else { return .failure(SystemError(code: -fd, operation: "open \(path)")) }
        let file = SharedFile(descriptor: fd)
        let hasher = ContentHasher(algorithm)
        var offset: Int64 = 0
        while true {
            let n = cep_pread(file.descriptor, buffer.baseAddress, buffer.count, offset)
            if n < 0 { return .failure(SystemError(code: Int32(truncatingIfNeeded: -n), operation: "read \(path)")) }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
        return .success((hasher.finalizeHex(), offset))
    }

    /// Why the manifest file at `path` does not hold `digest`'s manifest, nil when it does.
    private static func manifestDamage(_ path: String, digest: Digest) -> String? {
        let fd = cep_open_read(path)
        guard fd >= 0 else { return "unreadable" }
        let file = SharedFile(descriptor: fd)
        guard let size = try? file.size(), size > 0, size <= Int64(ManifestStore.maximumByteCount + 1024) else {
            return "empty or oversized file"
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = bytes.withUnsafeMutableBytes { cep_pread(file.descriptor, $0.baseAddress, Int(size), 0) }
        guard n == Int(size), let newline = bytes.firstIndex(of: 0x0A) else { return "no media type line" }
        let mediaType = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[(newline + 1)...])
        guard ManifestIdentity.isNamed(body, mediaType: mediaType, by: digest) else {
            return "bytes hash to \(ContentHasher.digestString(of: body, algorithm: digest.algorithm))"
        }
        return nil
    }
}
