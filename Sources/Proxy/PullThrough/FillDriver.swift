import CEpoll
import Glibc
import Logging

/// The upstream side of a fill: receives the upstream's blob response, appends
/// it to the fill's temporary file while hashing it, publishes progress, and
/// at the end verifies size and digest before committing by rename — or
/// discards the file. No client has a role here: a waiter that disconnects
/// changes nothing, and the fill runs to its end so the next pull is a hit.
///
/// Confinement: loop-confined to the loop that started the fill.
final class FillDriver: UpstreamResponseHandler {
    let fill: Fill
    private let context: LoopContext
    private let upstream: UpstreamRegistry
    private let hasher: ContentHasher
    private var expectedSize: Int64?
    private var written: Int64 = 0
    private var done = false
    /// The verified file is being committed on the I/O pool: upstream events are ignored.
    private var committing = false
    private var exchange: UpstreamExchange?
    /// Runs once when the fill committed or failed (the prefetcher's slot).
    var onFinish: (() -> Void)?
    private var shared: SharedServices { context.shared }

    init(fill: Fill, context: LoopContext, upstream: UpstreamRegistry) {
        self.fill = fill
        self.context = context
        self.upstream = upstream
        hasher = ContentHasher(fill.digest.algorithm)
    }

    /// Starts the upstream GET of the blob through the fill's repository.
    /// - Parameter clientAddress: sent in `X-Forwarded-For` (first requester).
    func start(clientAddress: String) {
        shared.metrics.fillStarted()
        let name = fill.repository
        let request = UpstreamRequest(
            method: .get, origin: upstream.origin,
            pathAndQuery: "\(upstream.basePath)/v2/\(name.string)/blobs/\(fill.digest.string)",
            fields: [("Accept-Encoding", "identity")] + UpstreamRequest.forwardedFor(clientAddress))
        let exchange = UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                                        scope: UpstreamRegistry.pullScope(name), handler: self)
        self.exchange = exchange
        exchange.start()
    }

    func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        shared.metrics.upstreamRequest(method: "GET", status: head.status)
        guard head.status == 200 else {
            finish(.failed(UpstreamFailure.status(head, upstream: upstream.name, notFound: .blobUnknown(fill.digest))))
            return
        }
        expectedSize = head.contentLength
        if let size = head.contentLength {
            fill.setPhase(.streaming(size: size))
        }
        // Without a Content-Length the waiters wait for the commit and are
        // then answered from the store.
    }

    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {
        guard !done, !committing else { return }
        if let expectedSize, written + Int64(bytes.count) > expectedSize {
            finish(.failed(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent more than Content-Length for \(fill.digest)"))))
            return
        }
        if let window = fill.memoryWindow {
            guard window.append(bytes) else { return failForMemoryBudget() }
        } else if let file = fill.file {
            let rc = cep_pwrite_all(file.descriptor, bytes.baseAddress, bytes.count, written)
            if rc != bytes.count {
                // The cache is full or failing: keep serving the waiters from
                // a bounded memory window; this blob will not be cached.
                let error = SystemError(code: rc < 0 ? Int32(truncatingIfNeeded: -rc) : EIO, operation: "write \(fill.temporaryPath ?? "")")
                shared.logger.warning("cache write failed; streaming from memory without caching", metadata: [
                    "digest": "\(fill.digest)", "error": "\(error)", "offset": "\(written)",
                ])
                guard fill.startMemoryWindow(at: written).append(bytes) else { return failForMemoryBudget() }
            }
        }
        hasher.update(bytes)
        written += Int64(bytes.count)
        shared.metrics.bytesReceivedFromUpstream(bytes.count)
        fill.published(writtenBytes: written)
    }

    /// The cache cannot take the blob and the memory windows are all in use.
    private func failForMemoryBudget() {
        shared.logger.warning("cache not writable and memory windows exhausted; failing the fill", metadata: ["digest": "\(fill.digest)"])
        finish(.failed(UpstreamFailure(RegistryError(code: .upstreamUnavailable, status: 503,
                                                     message: "cache full: cannot stream this blob now", detail: "\(fill.digest)"))))
    }

    func upstreamFinished() {
        guard !done, !committing else { return }
        if let expectedSize, written != expectedSize {
            finish(.failed(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent \(written) of \(expectedSize) bytes"))))
            return
        }
        let hex = hasher.finalizeHex()
        guard hex == fill.digest.hex else {
            shared.metrics.digestMismatch()
            shared.logger.error("digest mismatch: upstream bytes do not hash to the requested digest; nothing cached", metadata: [
                "digest": "\(fill.digest)", "computed": "\(fill.digest.algorithm.rawValue):\(hex)",
                "upstream": "\(upstream.name)", "bytes": "\(written)",
            ])
            finish(.failed(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent bytes that do not match \(fill.digest)"))))
            return
        }
        guard fill.memoryWindow == nil, let file = fill.file, let temporaryPath = fill.temporaryPath else {
            // Verified, so waiters get their last byte, but nothing is cached.
            if let temporaryPath = fill.temporaryPath { shared.blobs.discard(temporaryPath: temporaryPath) }
            finish(.committed(size: written))
            return
        }
        // fsync, size record, rename and directory fsync run on the I/O pool; the verdict
        // (committed or failed) is published when the result is back on this loop, so
        // waiters keep holding their last byte until the blob is in the store.
        committing = true
        let bound = LoopBound(self, loop: context.loop)
        let accepted = shared.blobs.commitBlob(temporaryPath: temporaryPath, file: file, digest: fill.digest,
                                               on: shared.ioPool, reportingTo: context.loop) { result in
            bound.value.commitFinished(result)
        }
        if !accepted {
            // The disk is that far behind: serve the verified bytes, do not cache them.
            committing = false
            shared.logger.warning("I/O queue full; blob served but not cached", metadata: ["digest": "\(fill.digest)"])
            shared.blobs.discard(temporaryPath: temporaryPath)
            finish(.committed(size: written))
        }
    }

    /// The commit's outcome, back on the fill's loop.
    private func commitFinished(_ result: Result<Void, SystemError>) {
        committing = false
        if case .failure(let error) = result {
            shared.logger.error("commit failed", metadata: ["digest": "\(fill.digest)", "error": "\(error)"])
            finish(.failed(UpstreamFailure(RegistryError(code: .upstreamError, status: 500, message: "cache commit failed", detail: error.description))))
            return
        }
        shared.links.link(upstream: upstream.name, repository: fill.repository, digest: fill.digest)
        finish(.committed(size: written))
    }

    func upstreamFailed(_ error: UpstreamError) {
        guard !done, !committing else { return }
        shared.logger.warning("fill failed", metadata: ["digest": "\(fill.digest)", "upstream": "\(upstream.name)", "error": "\(error)", "bytes": "\(written)"])
        finish(.failed(UpstreamFailure.transport(error, upstream: upstream.name)))
    }

    private func finish(_ phase: Fill.Phase) {
        guard !done else { return }
        done = true
        if case .failed = phase {
            if let temporaryPath = fill.temporaryPath { shared.blobs.discard(temporaryPath: temporaryPath) }
            exchange?.cancel()
            shared.metrics.fillFinished(committed: false)
        } else {
            shared.metrics.fillFinished(committed: true)
        }
        exchange = nil
        // Order matters: the phase is final (and the file renamed) before
        // the table forgets the fill, so no request can start a second fill
        // for a blob that is about to be committed.
        fill.setPhase(phase)
        shared.fills.remove(fill)
        let onFinish = self.onFinish
        self.onFinish = nil
        onFinish?()
    }
}
