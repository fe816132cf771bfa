import ProxySystem
import ProxyWarm

/// `cistern warm`'s progress on standard error: images whose manifests are resolved, then
/// blob bytes and blobs fetched, as ``ProgressDisplay`` draws them (a bar on a terminal,
/// a plain line at every tenth otherwise).
///
/// Thread-safe: worker threads report at once; the lock serialises them so that lines never
/// interleave, and a snapshot older than one already shown is dropped.
final class WarmProgressDisplay: @unchecked Sendable {
    // Safe because every mutable field is read and written under `lock`.
    private let lock = PThreadLock()
    private let manifests = ProgressDisplay(label: "warm manifests")
    private let blobs = ProgressDisplay(label: "warm blobs")
    private var shown = WarmProgress()
    private var blobsComplete = false

    /// The newest progress shown.
    var last: WarmProgress { lock.withLock { shown } }

    /// Draws `progress` unless a newer snapshot was drawn already.
    func show(_ progress: WarmProgress) {
        lock.withLock {
            let isOlder = progress.resolvedImageCount < shown.resolvedImageCount || progress.finishedBlobCount < shown.finishedBlobCount
                || (progress.finishedBlobCount == shown.finishedBlobCount && progress.receivedByteCount < shown.receivedByteCount
                    && progress.blobCount == shown.blobCount)
            guard !isOlder else { return }
            let resolvedChanged = progress.resolvedImageCount != shown.resolvedImageCount || shown.imageCount == 0
            shown = progress
            // A display redraws (and on a terminal ends its line) at 100% each time it is told,
            // so each is told of 100% once.
            if resolvedChanged { manifests.update(done: progress.resolvedImageCount, total: progress.imageCount, detail: "images") }
            guard progress.resolvedImageCount == progress.imageCount, progress.blobCount > 0, !blobsComplete else { return }
            let allFinished = progress.finishedBlobCount == progress.blobCount
            blobsComplete = allFinished
            let detail = "\(progress.finishedBlobCount)/\(progress.blobCount) blobs, "
                + "\(Self.mebibytes(progress.receivedByteCount)) of \(Self.mebibytes(progress.byteCount)) MiB"
            if progress.byteCount > 0 {
                // Bytes measure the bar; it shows 100% only once every blob is done.
                let total = Int(progress.byteCount)
                let done = allFinished ? total : min(Int(progress.receivedByteCount), total - 1)
                blobs.update(done: done, total: total, detail: detail)
            } else {
                blobs.update(done: progress.finishedBlobCount, total: progress.blobCount, detail: detail)
            }
        }
    }

    /// Ends a bar left open by a run that did not reach 100%.
    func finish() {
        lock.withLock {
            manifests.finish()
            blobs.finish()
        }
    }

    private static func mebibytes(_ byteCount: Int64) -> String {
        let value = Double(byteCount) / 1_048_576
        return value < 10 ? String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) : String(Int(value))
    }
}
