import CEpoll
import ProxyRegistry

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
}
