import CEpoll
import Glibc
import Logging
import ProxyHTTP
import ProxyLoop
import ProxyRegistry
import ProxySystem
import ProxyUpstream

/// The upstream side of a fill: feeds what the upstream and the store do to the
/// fill's `FillState` and performs the actions it returns — append the body to the
/// temporary file while hashing it, publish progress, resume a dropped response
/// with a Range request, verify size and digest, commit by rename or discard.
/// No client has a role here: a waiter that disconnects changes nothing, and the
/// fill runs to its end so the next pull is a hit.
///
/// Resumes (`FillState.maximumResumeCount`, default 5): after a reset or a short
/// body the driver asks for `Range: bytes=N-(size-1)` from the written count N.
/// A 206 must carry exactly `Content-Range: bytes N-(size-1)/size`; a 200 is read
/// from byte 0 and its first N bytes dropped. The hash goes on across resumes:
/// it covers exactly the bytes in the file, which are the bytes committed.
///
/// Confinement: loop-confined to the loop that started the fill.
final class FillDriver: UpstreamResponseHandler {
    let fill: Fill
    private let context: LoopContext
    private let upstream: UpstreamRegistry
    private let hasher: ContentHasher
    private var state: FillState
    private var exchange: UpstreamExchange?
    private var client = ClientTrace.none
    /// The piece being handled by `upstreamReceivedBody` (valid during that call only).
    private var piece = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Room reserved under `--cache-max-size` for this fill's file (bytes), given back at the end.
    private var reservedByteCount: Int64 = 0
    /// The cache is making room for this fill: the upstream body is paused, nothing is written.
    private var waitingForRoom = false
    /// Runs once when the fill committed or failed (the prefetcher's slot).
    var onFinish: (() -> Void)?
    private var shared: SharedServices { context.shared }

    init(fill: Fill, context: LoopContext, upstream: UpstreamRegistry,
         maximumResumeCount: Int = FillState.defaultMaximumResumeCount) {
        self.fill = fill
        self.context = context
        self.upstream = upstream
        hasher = ContentHasher(fill.digest.algorithm)
        state = FillState(cachesToDisk: fill.file != nil, maximumResumeCount: maximumResumeCount)
    }

    /// Starts the upstream GET of the blob through the fill's repository.
    /// - Parameter client: sent in `X-Forwarded-For`, `Via` and `X-Request-ID` (first requester).
    func start(client: ClientTrace) {
        shared.metrics.fillStarted()
        self.client = client
        send(range: nil)
    }

    /// Sends the blob GET, with `Range: bytes=<range>` for a resume.
    private func send(range: String?) {
        let name = fill.repository
        var fields: [(name: String, value: String)] = [("Accept-Encoding", "identity")]
        if let range { fields.append(("Range", "bytes=\(range)")) }
        let request = UpstreamRequest(
            method: .get, origin: upstream.origin,
            pathAndQuery: upstream.pathAndQuery("/v2/\(name.string)/blobs/\(fill.digest.string)"),
            fields: fields + client.upstreamFields(for: upstream, nodeID: context.nodeID))
        let exchange = UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                                        scope: UpstreamRegistry.pullScope(name), client: client.credential, handler: self)
        self.exchange = exchange
        exchange.start()
    }

    // MARK: UpstreamResponseHandler

    func upstreamReceivedHead(_ head: UpstreamResponseHead) {
        shared.metrics.upstreamRequest(method: "GET", status: head.status)
        handle(.receivedHead(Self.fillHead(head, upstream: upstream.name, digest: fill.digest)))
        // Also a resumed response's body waits while room is still being made.
        if waitingForRoom { exchange?.pauseBody() }
    }

    /// The upstream head as the fill's state machine reads it.
    static func fillHead(_ head: UpstreamResponseHead, upstream: String, digest: Digest) -> FillState.Head {
        switch head.status {
        case 200:
            return .whole(size: head.contentLength)
        case 206:
            guard let value = head.field("content-range"), let range = ContentRange.parse(value) else {
                return .refused(UpstreamFailure(.upstreamError("upstream \(upstream) answered 206 without a usable Content-Range")))
            }
            return .partial(first: range.first, last: range.last, size: range.size)
        default:
            return .refused(UpstreamFailure.status(head, upstream: upstream, notFound: .blobUnknown(digest)))
        }
    }

    func upstreamReceivedBody(_ bytes: UnsafeRawBufferPointer) {
        guard state.phase == .streaming else { return }
        piece = bytes
        handle(.receivedBytes(count: bytes.count))
        piece = UnsafeRawBufferPointer(start: nil, count: 0)
    }

    func upstreamFinished() {
        exchange = nil
        handle(.upstreamEnded)
    }

    func upstreamFailed(_ error: UpstreamError) {
        exchange = nil
        guard !state.isFinished else { return }
        shared.logger.warning("fill's upstream response failed", metadata: [
            "digest": "\(fill.digest)", "upstream": "\(upstream.name)", "error": "\(error)", "bytes": "\(state.writtenByteCount)",
        ])
        handle(.upstreamDropped(UpstreamFailure.transport(error, upstream: upstream.name)))
    }

    // MARK: Events and actions

    private func handle(_ event: FillState.Event) {
        let actions: [FillState.Action]
        do {
            actions = try state.handle(event)
        } catch {
            shared.logger.error("fill event ignored", metadata: [
                "digest": "\(fill.digest)", "phase": "\(error.phase)", "event": "\(error.event)",
            ])
            return
        }
        // A nested event (a refused write that failed the fill) may finish the fill while
        // this list runs: the rest of a list computed before that is dropped.
        let finishedByThisEvent = state.isFinished
        for action in actions {
            if !finishedByThisEvent && state.isFinished { break }
            perform(action)
        }
    }

    private func perform(_ action: FillState.Action) {
        switch action {
        case .answerWaiters(let size):
            fill.answerWaiters(size: size)
            reserveRoom(size)
        case .store(let dropFirst, let offset):
            store(UnsafeRawBufferPointer(rebasing: piece[dropFirst...]), at: offset)
        case .publish(let writtenByteCount):
            fill.published(writtenBytes: writtenByteCount)
        case .startMemoryWindow(let offset):
            _ = fill.startMemoryWindow(at: offset)
        case .resume(let offset, let size, let attempt):
            shared.metrics.fillResumed()
            shared.logger.notice("resuming fill with a Range request", metadata: [
                "digest": "\(fill.digest)", "upstream": "\(upstream.name)", "offset": "\(offset)", "attempt": "\(attempt)",
            ])
            send(range: "\(offset)-\(size - 1)")
        case .verify:
            verify()
        case .commit:
            commitVerifiedFill { [self] result in
                switch result {
                case .success:
                    break
                case .failure(let error):
                    // The bytes verified; that the cache cannot keep them is the operator's
                    // problem, not the client's: serve them from the fill's file, uncached.
                    shared.logger.error("commit failed; blob served without caching", metadata: [
                        "digest": "\(fill.digest)", "error": "\(error)",
                    ])
                    if let temporaryPath = fill.temporaryPath { shared.blobs.discard(temporaryPath: temporaryPath) }
                }
                handle(.committed)
            }
        case .discardFile:
            if let temporaryPath = fill.temporaryPath { shared.blobs.discard(temporaryPath: temporaryPath) }
        case .cancelUpstream:
            exchange?.cancel()
            exchange = nil
        case .announce(let verdict):
            // A relayed 508 is not logged here: the node that saw the loop logged it once,
            // and each hop logging it again would multiply the lines of one misconfiguration.
            if case .failed(let failure) = verdict, failure.error.code != .loopDetected {
                shared.logger.warning("fill failed", metadata: [
                    "digest": "\(fill.digest)", "upstream": "\(upstream.name)", "error": "\(failure.error)",
                    "bytes": "\(state.writtenByteCount)", "resumes": "\(state.resumeCount)",
                ])
            }
            if case .verified = verdict { shared.metrics.fillFinished(committed: true) } else { shared.metrics.fillFinished(committed: false) }
            fill.announce(verdict)
        case .finish:
            // Order matters: the verdict is published (and the file renamed) before the
            // table forgets the fill, so no request can start a second fill for a blob
            // that is about to be committed.
            shared.fills.remove(fill)
            shared.cache.release(reservedByteCount)
            reservedByteCount = 0
            shared.cache.checkLimit()
            let onFinish = self.onFinish
            self.onFinish = nil
            onFinish?()
        }
    }

    /// Appends `bytes` at body offset `offset` to the file (or the memory window) and hashes them.
    private func store(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        if state.cachesToDisk, let file = fill.file {
            let rc = cep_pwrite_all(file.descriptor, bytes.baseAddress, bytes.count, offset)
            if rc != bytes.count {
                // The cache is full or failing: keep serving the waiters from a bounded
                // memory window; this blob will not be cached.
                let error = SystemError(code: rc < 0 ? Int32(truncatingIfNeeded: -rc) : EIO, operation: "write \(fill.temporaryPath ?? "")")
                shared.logger.warning("cache write failed; streaming from memory without caching", metadata: [
                    "digest": "\(fill.digest)", "error": "\(error)", "offset": "\(offset)",
                ])
                handle(.diskRefused(offset: offset))
                guard let window = fill.memoryWindow, window.append(bytes) else { return failForMemoryBudget() }
            }
        } else if let window = fill.memoryWindow {
            guard window.append(bytes) else { return failForMemoryBudget() }
        }
        hasher.update(bytes)
    }

    /// Reserves room for the blob's `size` bytes under the size limit. When the cache must
    /// evict first, the upstream body is paused until the pass has unlinked its victims (the
    /// waiters have their head and wait for bytes). When no room can be made (the cache is
    /// full of files being read), the blob streams from memory, uncached, as when the disk is
    /// full; `cistern_cache_bypassed_fills_total` counts it.
    private func reserveRoom(_ size: Int64) {
        guard state.cachesToDisk else { return }
        let bound = LoopBound(self, loop: context.loop)
        switch shared.cache.reserveFill(size, whenRoomIsMade: { bound.loop.execute { bound.value.roomMade() } }) {
        case .granted(let reserved):
            reservedByteCount = reserved
        case .afterPass(let reserved):
            reservedByteCount = reserved
            waitingForRoom = true
            shared.logger.debug("fill waits for eviction to make room", metadata: ["digest": "\(fill.digest)", "bytes": "\(size)"])
        case .refused:
            shared.logger.warning("no room in the cache (the blob is larger than the limit allows, or the cache is full of files being read); blob served but not cached", metadata: [
                "digest": "\(fill.digest)", "bytes": "\(size)",
            ])
            handle(.diskRefused(offset: 0))
        }
    }

    /// The eviction pass this fill waited for has removed its victims: take the body again.
    private func roomMade() {
        guard waitingForRoom else { return }
        waitingForRoom = false
        exchange?.resumeBody()
    }

    /// The cache cannot take the blob and the memory windows are all in use.
    private func failForMemoryBudget() {
        shared.logger.warning("cache not writable and memory windows exhausted; failing the fill", metadata: ["digest": "\(fill.digest)"])
        handle(.failed(UpstreamFailure(RegistryError(code: .upstreamUnavailable, status: 503,
                                                     message: "cache full: cannot stream this blob now", detail: "\(fill.digest)"))))
    }

    private func verify() {
        let hex = hasher.finalizeHex()
        guard hex == fill.digest.hex else {
            shared.metrics.digestMismatch()
            shared.logger.error("digest mismatch: upstream bytes do not hash to the requested digest; nothing cached", metadata: [
                "digest": "\(fill.digest)", "computed": "\(fill.digest.algorithm.rawValue):\(hex)",
                "upstream": "\(upstream.name)", "bytes": "\(state.writtenByteCount)",
            ])
            handle(.failed(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent bytes that do not match \(fill.digest)"))))
            return
        }
        handle(.verified)
    }

    /// The commit step, on the I/O pool (fsync, size record, rename, directory fsync: none of
    /// it on this loop): then links the repository to the digest and calls `completion` back
    /// on this loop. Until then waiters hold their last byte and the fill stays in the table.
    /// A pool too far behind to take the job counts as a failed commit (served uncached).
    private func commitVerifiedFill(completion: @escaping (Result<Void, SystemError>) -> Void) {
        guard let file = fill.file, let temporaryPath = fill.temporaryPath else {
            completion(.failure(SystemError(code: ENOENT, operation: "commit \(fill.digest): no temporary file")))
            return
        }
        let bound = LoopBound((self, completion), loop: context.loop)
        // The reservation is given back by the commit itself, as the blob starts to count.
        let reserved = reservedByteCount
        let accepted = shared.blobs.commitBlob(temporaryPath: temporaryPath, file: file, digest: fill.digest, releasing: reserved,
                                               on: shared.ioPool, reportingTo: context.loop) { result in
            let (driver, completion) = bound.value
            if case .success = result {
                driver.reservedByteCount -= reserved
                driver.shared.links.link(upstream: driver.upstream.name, repository: driver.fill.repository, digest: driver.fill.digest)
            }
            completion(result)
        }
        if !accepted {
            completion(.failure(SystemError(code: EAGAIN, operation: "commit \(fill.digest): I/O queue full")))
        }
    }
}
