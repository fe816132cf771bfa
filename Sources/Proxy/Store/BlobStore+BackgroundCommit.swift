import ProxyIO
import ProxyLoop
import ProxyRegistry
import ProxySystem

extension BlobStore {
    /// Commits a verified fill off the event loop: runs ``commitBlob(temporaryPath:file:digest:)``
    /// (fsync, size record, rename into `blobs/`, directory fsync) on `pool`, then calls
    /// `completion` on `loop`'s thread with the outcome. Until then the blob is not in the
    /// store; the fill stays in the fill table, so nobody starts a second fill meanwhile.
    /// Jobs for one digest run in submission order (one pool lane per digest).
    /// - Returns: false when the pool refused the job (its lane is full, or it stopped):
    ///   nothing was done and `completion` never runs; the caller decides (serve uncached).
    @discardableResult
    public func commitBlob(temporaryPath: String, file: SharedFile, digest: Digest, releasing reserved: Int64 = 0,
                           on pool: IOPool, reportingTo loop: EventLoop,
                           completion: @escaping @Sendable (Result<Void, SystemError>) -> Void) -> Bool {
        pool.submit(key: digest.hashValue, reportingTo: loop, { [self] () -> Result<Void, SystemError> in
            do throws(SystemError) {
                try commitBlob(temporaryPath: temporaryPath, file: file, digest: digest, releasing: reserved)
                return .success(())
            } catch {
                return .failure(error)
            }
        }, completion: completion)
    }
}
