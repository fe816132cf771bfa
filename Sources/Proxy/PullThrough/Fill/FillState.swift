import ProxyUpstream

/// The upstream side of one fill as a pure state machine: events in (what the
/// upstream and the store did), actions out (what the `FillDriver` must do next).
/// No sockets, files or clocks: it is tested by tables.
///
/// Phases move forward only:
/// `awaitingHead → streaming ⇄ resuming`, `streaming → verifying → committing → committed`,
/// and any live phase `→ failed`. `committed` and `failed` are terminal; a second
/// `failed` or `committed` there is a no-op (teardown is idempotent). Every other
/// event a phase cannot take is listed in `handle(_:)` and throws `IllegalEvent`.
///
/// Invariants (bytes): `writtenByteCount <= size` when the size is known;
/// `resumeCount <= maximumResumeCount`; `skipByteCount > 0` only while streaming
/// a 200 that answered a resume (its first bytes are already in the file).
struct FillState: Equatable {
    /// Where the fill is.
    enum Phase: Equatable {
        /// Waiting for the upstream's response head.
        case awaitingHead
        /// Body bytes of the current upstream response are arriving.
        case streaming
        /// The upstream response ended early; a Range request for the rest was sent.
        case resuming
        /// All bytes are in; the digest is being checked.
        case verifying
        /// The digest verified and waiters have the verdict; the file is being committed
        /// to the store.
        case committing
        case committed
        case failed
    }

    /// What the upstream answered, as the fill needs it.
    enum Head: Equatable {
        /// 200: the whole blob; `size` from Content-Length (nil: chunked or until close).
        case whole(size: Int64?)
        /// 206 with `Content-Range: bytes first-last/size` (RFC 9110 section 14.4).
        case partial(first: Int64, last: Int64, size: Int64)
        /// Any other status, or a 206 without a usable Content-Range.
        case refused(UpstreamFailure)
    }

    /// Something that happened to the fill.
    enum Event: Equatable {
        case receivedHead(Head)
        /// `count` body bytes arrived from the upstream.
        case receivedBytes(count: Int)
        /// The upstream response ended cleanly (possibly short of Content-Length).
        case upstreamEnded
        /// The upstream connection failed (reset, timeout, connect error).
        case upstreamDropped(UpstreamFailure)
        /// The cache refused the write of the piece at body offset `offset`: from there on
        /// the body is served from memory, uncached.
        case diskRefused(offset: Int64)
        /// The bytes hash to the requested digest.
        case verified
        /// The fill cannot complete (digest mismatch, commit failed, memory budget spent...).
        case failed(UpstreamFailure)
        /// The file is in the store under its digest.
        case committed
    }

    /// The final word waiters get.
    enum Verdict: Equatable {
        /// The bytes hash to the digest: every waiter may send its last byte.
        case verified(size: Int64)
        case failed(UpstreamFailure)
    }

    /// What the driver must do, in order.
    enum Action: Equatable {
        /// Publish the size: waiters answer their response heads.
        case answerWaiters(size: Int64)
        /// Write the piece just received, without its first `dropFirst` bytes, at body
        /// offset `offset`, and hash what was written.
        case store(dropFirst: Int, offset: Int64)
        /// Publish the written byte count to waiters.
        case publish(writtenByteCount: Int64)
        /// Serve body offsets from `offset` on from a memory window (nothing is cached).
        case startMemoryWindow(at: Int64)
        /// Ask the upstream for `Range: bytes=offset-(size-1)`; attempt counts from 1.
        case resume(from: Int64, size: Int64, attempt: Int)
        /// Finish the hash and report `verified` or `failed`.
        case verify
        /// Commit the file to the store and report `committed` or `failed`.
        case commit
        /// Delete the temporary file (if any).
        case discardFile
        /// Drop the upstream exchange.
        case cancelUpstream
        /// Publish the verdict to waiters.
        case announce(Verdict)
        /// Leave the fill table and release the fill's prefetch slot.
        case finish
    }

    /// An event the current phase cannot take (a driver bug): the state is unchanged.
    struct IllegalEvent: Error, Equatable {
        let phase: Phase
        let event: Event
    }

    /// Resume attempts per fill unless configured otherwise.
    static let defaultMaximumResumeCount = 5

    private(set) var phase = Phase.awaitingHead
    /// The blob's size from the first 200's Content-Length; nil until then or without one.
    private(set) var size: Int64?
    /// Body bytes stored so far (file or memory window).
    private(set) var writtenByteCount: Int64 = 0
    /// Bytes still to drop from a 200 that answered a resume.
    private(set) var skipByteCount: Int64 = 0
    /// Resumes sent so far.
    private(set) var resumeCount = 0
    let maximumResumeCount: Int
    /// False once the disk refused bytes: the rest is streamed from memory, not committed.
    private(set) var cachesToDisk: Bool

    /// - Parameters:
    ///   - cachesToDisk: false when the fill has no temporary file (cache not writable).
    ///   - maximumResumeCount: Range requests allowed after the first response ends early.
    init(cachesToDisk: Bool, maximumResumeCount: Int = FillState.defaultMaximumResumeCount) {
        self.cachesToDisk = cachesToDisk
        self.maximumResumeCount = max(0, maximumResumeCount)
    }

    /// Whether the phase is terminal.
    var isFinished: Bool { phase == .committed || phase == .failed }

    /// Applies `event`; returns the actions to perform, in order.
    mutating func handle(_ event: Event) throws(IllegalEvent) -> [Action] {
        switch (phase, event) {
        // Waiting for the first head.
        case (.awaitingHead, .receivedHead(.whole(let size))):
            phase = .streaming
            self.size = size
            return size.map { [.answerWaiters(size: $0)] } ?? []
        case (.awaitingHead, .receivedHead(.partial)):
            return fail(UpstreamFailure(.upstreamError("upstream answered 206 to a request without Range")))
        case (.awaitingHead, .receivedHead(.refused(let failure))),
             (.awaitingHead, .upstreamDropped(let failure)),
             (.awaitingHead, .failed(let failure)):
            return fail(failure)
        case (.awaitingHead, .receivedBytes), (.awaitingHead, .upstreamEnded), (.awaitingHead, .diskRefused),
             (.awaitingHead, .verified), (.awaitingHead, .committed):
            throw IllegalEvent(phase: phase, event: event)

        // Body bytes arriving.
        case (.streaming, .receivedBytes(let count)):
            return received(count)
        case (.streaming, .upstreamEnded):
            return ended()
        case (.streaming, .upstreamDropped(let failure)):
            return dropped(failure)
        case (.streaming, .diskRefused(let offset)):
            guard cachesToDisk, offset <= writtenByteCount else { throw IllegalEvent(phase: phase, event: event) }
            cachesToDisk = false
            return [.startMemoryWindow(at: offset)]
        case (.streaming, .failed(let failure)):
            return fail(failure)
        case (.streaming, .receivedHead), (.streaming, .verified), (.streaming, .committed):
            throw IllegalEvent(phase: phase, event: event)

        // Waiting for a resumed response's head.
        case (.resuming, .receivedHead(let head)):
            return resumed(head)
        case (.resuming, .upstreamDropped(let failure)):
            return resumeOrFail(failure)
        case (.resuming, .failed(let failure)):
            return fail(failure)
        case (.resuming, .receivedBytes), (.resuming, .upstreamEnded), (.resuming, .diskRefused),
             (.resuming, .verified), (.resuming, .committed):
            throw IllegalEvent(phase: phase, event: event)

        // Checking the digest.
        case (.verifying, .verified):
            guard cachesToDisk else {
                // Verified, so waiters get their last byte, but nothing is cached.
                phase = .committed
                return [.discardFile, .announce(.verified(size: writtenByteCount)), .finish]
            }
            // Waiters get the verdict now: their last byte need not wait for fsync and
            // rename. The fill stays in the table until the commit ends, so a request
            // arriving meanwhile joins it and reads the same verified file.
            phase = .committing
            return [.announce(.verified(size: writtenByteCount)), .commit]
        case (.verifying, .failed(let failure)):
            return fail(failure)
        case (.verifying, .receivedHead), (.verifying, .receivedBytes), (.verifying, .upstreamEnded),
             (.verifying, .upstreamDropped), (.verifying, .diskRefused), (.verifying, .committed):
            throw IllegalEvent(phase: phase, event: event)

        // Committing to the store.
        case (.committing, .committed):
            phase = .committed
            return [.finish]
        case (.committing, .failed):
            // The verdict is out (the bytes verified); the store just does not keep them.
            phase = .failed
            return [.discardFile, .finish]
        case (.committing, .receivedHead), (.committing, .receivedBytes), (.committing, .upstreamEnded),
             (.committing, .upstreamDropped), (.committing, .diskRefused), (.committing, .verified):
            throw IllegalEvent(phase: phase, event: event)

        // Terminal: a repeated teardown does nothing; the phase never goes back.
        case (.committed, .committed), (.committed, .failed), (.failed, .failed), (.failed, .committed):
            return []
        case (.committed, .receivedHead), (.committed, .receivedBytes), (.committed, .upstreamEnded),
             (.committed, .upstreamDropped), (.committed, .diskRefused), (.committed, .verified),
             (.failed, .receivedHead), (.failed, .receivedBytes), (.failed, .upstreamEnded),
             (.failed, .upstreamDropped), (.failed, .diskRefused), (.failed, .verified):
            throw IllegalEvent(phase: phase, event: event)
        }
    }

    // MARK: Steps

    private mutating func received(_ count: Int) -> [Action] {
        let dropped = Int(min(skipByteCount, Int64(count)))
        skipByteCount -= Int64(dropped)
        let stored = Int64(count - dropped)
        guard stored > 0 else { return [] }
        if let size, writtenByteCount + stored > size {
            return fail(UpstreamFailure(.upstreamError("upstream sent more than Content-Length (\(size) bytes)")))
        }
        let offset = writtenByteCount
        writtenByteCount += stored
        return [.store(dropFirst: dropped, offset: offset), .publish(writtenByteCount: writtenByteCount)]
    }

    /// The current response ended cleanly: verify when every byte is in (or the length was
    /// never known: then the end is the end of the blob), else resume.
    private mutating func ended() -> [Action] {
        guard let size, writtenByteCount < size else {
            phase = .verifying
            return [.verify]
        }
        return resumeOrFail(UpstreamFailure(.upstreamError("upstream sent \(writtenByteCount) of \(size) bytes")))
    }

    /// The upstream connection failed mid-body: verify if every byte is in anyway, resume
    /// when the size is known, else fail.
    private mutating func dropped(_ failure: UpstreamFailure) -> [Action] {
        guard let size else { return fail(failure) }
        if writtenByteCount == size {
            phase = .verifying
            return [.verify]
        }
        return resumeOrFail(failure)
    }

    private mutating func resumeOrFail(_ failure: UpstreamFailure) -> [Action] {
        guard let size, resumeCount < maximumResumeCount else { return fail(failure) }
        resumeCount += 1
        skipByteCount = 0
        phase = .resuming
        return [.cancelUpstream, .resume(from: writtenByteCount, size: size, attempt: resumeCount)]
    }

    /// A resumed response's head: exactly the missing bytes (206), or the whole blob again
    /// (200, whose first `writtenByteCount` bytes are dropped: they are in the file and
    /// hashed already), else another attempt.
    private mutating func resumed(_ head: Head) -> [Action] {
        guard let size else { return fail(UpstreamFailure(.upstreamError("resumed a fill of unknown size"))) }
        switch head {
        case .partial(let first, let last, let total) where first == writtenByteCount && last == size - 1 && total == size:
            phase = .streaming
            return []
        case .partial(let first, let last, let total):
            return resumeOrFail(UpstreamFailure(.upstreamError(
                "upstream answered Content-Range bytes \(first)-\(last)/\(total) for bytes=\(writtenByteCount)-\(size - 1)")))
        case .whole(let total) where total == nil || total == size:
            phase = .streaming
            skipByteCount = writtenByteCount
            return []
        case .whole(let total):
            return fail(UpstreamFailure(.upstreamError("upstream's blob changed size on resume (\(size) then \(total ?? 0) bytes)")))
        case .refused(let failure):
            return resumeOrFail(failure)
        }
    }

    private mutating func fail(_ failure: UpstreamFailure) -> [Action] {
        phase = .failed
        skipByteCount = 0
        return [.discardFile, .cancelUpstream, .announce(.failed(failure)), .finish]
    }
}
