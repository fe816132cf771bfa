import CEpoll
import Glibc
import ProxyRegistry
import ProxySystem

extension BlobStore {
    /// Removes the committed blob `digest` with its size record, for `cistern storage gc`
    /// (offline: no hit holds it). Returns the bytes freed, nil when there was no such blob.
    public func removeCommittedBlob(_ digest: Digest) -> Int64? {
        let path = layout.blobPath(digest)
        let size = cep_stat_size(path)
        guard size >= 0, cep_unlink(path) == 0 else { return nil }
        forgetOpenFile(digest)
        sizes.remove(digest)
        return size
    }

    /// Removes the stored manifest file `digest`. Returns the bytes freed, nil when there was
    /// none. The caller also drops it from its ``ManifestStore``'s memory.
    public func removeManifestFile(_ digest: Digest) -> Int64? {
        let path = layout.manifestPath(digest)
        let size = cep_stat_size(path)
        guard size >= 0, cep_unlink(path) == 0 else { return nil }
        return size
    }

    /// Makes `other`'s committed blob `digest` this store's too, as a hard link to the same
    /// file (one copy on disk for a digest both pushed and cached, issue 16 item 9), with its
    /// size record. False when `other` has no intact copy (size differs from its record) or
    /// the link fails (another file system: EXDEV); the caller then stores its own bytes.
    /// Blocking (link, fsync of the record and directory): the I/O pool only.
    public func adoptHardLink(from other: BlobStore, _ digest: Digest) -> Bool {
        if blobSize(digest) != nil { return true }
        let source = other.layout.blobPath(digest)
        let size = cep_stat_size(source)
        guard size >= 0, other.sizes.recordedSize(digest) == size else { return false }
        let n = sequenceNumber()
        do throws(SystemError) {
            try sizes.record(size, for: digest, temporaryPath: "\(layout.temporaryDirectory)/\(digest.hex).\(n).size")
            _ = try SystemError.check(cep_mkdir_p(layout.blobDirectory(digest)), "mkdir \(layout.blobDirectory(digest))")
        } catch {
            return false
        }
        guard Glibc.link(source, layout.blobPath(digest)) == 0 || errno == EEXIST else {
            sizes.remove(digest)
            return false
        }
        _ = cep_fsync_dir(layout.blobDirectory(digest))
        index.recordBlob(digest, byteCount: size)
        return true
    }
}
