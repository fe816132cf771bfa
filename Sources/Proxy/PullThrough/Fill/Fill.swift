import ProxyRegistry
import ProxySystem
import ProxyUpstream
import Synchronization

/// One upstream download of one blob digest, shared by every client that
/// asks for that digest while it runs (single flight, across all loops).
///
/// The fill appends the upstream body to a temporary file and publishes how
/// many bytes are in it (`writtenByteCount`, written but not yet fsync'd).
/// Waiters `sendfile` from that file up to the mark and are notified on their
/// own loop when it moves. Invariants:
/// - `writtenByteCount` only grows, and never exceeds the expected size;
/// - a waiter whose response covers the blob's final byte gets that byte only
///   once the phase is `verified`, so a failed fill
///   never hands anyone a complete-looking wrong body;
/// - the phase moves awaitingHead -> streaming -> verified | failed, or
///   straight to verified/failed, and never back (the `FillDriver`'s `FillState`
///   decides; `answerWaiters` and `announce` refuse to go back);
/// - an upstream connection that drops mid-body is resumed by the driver with a
///   Range request: waiters see the written count keep growing, nothing else.
///
/// What a waiter may read of it is decided by `Waiter.readableLimit`.
///
/// `@unchecked Sendable`: immutable `let`s, an atomic byte count, and the
/// phase plus interested loops behind `state`'s lock. The upstream side (the
/// `FillDriver`) runs on one loop only.
public final class Fill: @unchecked Sendable {
    /// Where the fill is.
    public enum Phase: Sendable {
        /// Waiting for the upstream's response head.
        case awaitingHead
        /// Body bytes are arriving; `size` from the upstream's Content-Length.
        case streaming(size: Int64)
        /// The digest verified: all `size` bytes readable from `file`, whether the
        /// commit to the store is still running, done, or failed (the file is then
        /// unlinked but stays readable through its descriptor).
        case verified(size: Int64)
        /// Nothing was committed; waiters that have not answered yet report
        /// `failure`, the others close their connections.
        case failed(UpstreamFailure)
    }

    public let digest: Digest
    /// The upstream and repository (as the upstream knows it) the fill
    /// downloads through: requests for the same repository join at once,
    /// others only once the upstream confirmed their repository holds it.
    public let upstreamName: String
    public let repository: RepositoryName
    /// The file the body is written to (the temporary file, renamed on
    /// commit); nil when the cache directory is not writable.
    public let file: SharedFile?
    let temporaryPath: String?
    /// Bytes at or after `memoryWindow.firstOffset` are served from memory:
    /// set once, when the cache could not take (more of) the body.
    private let window = Locked<MemoryWindow?>(nil)
    /// Size of the ring used when the cache is not writable (per fill).
    static let memoryWindowByteCount = 32 * 1024 * 1024

    private let writtenByteCount = Atomic<Int64>(0)
    private let state = Locked<(phase: Phase, interests: [FillInterest])>((.awaitingHead, []))

    init(digest: Digest, upstreamName: String, repository: RepositoryName, file: SharedFile?, temporaryPath: String?) {
        self.digest = digest
        self.upstreamName = upstreamName
        self.repository = repository
        self.file = file
        self.temporaryPath = temporaryPath
        if file == nil { window.withLock { $0 = MemoryWindow(capacity: Fill.memoryWindowByteCount, firstOffset: 0) } }
    }

    /// The in-memory window, once the fill streams from memory.
    var memoryWindow: MemoryWindow? { window.withLock { $0 } }

    /// Switches to streaming from memory from body offset `offset` on
    /// (the disk took bytes `[0, offset)` and then refused more).
    func startMemoryWindow(at offset: Int64) -> MemoryWindow {
        window.withLock { window in
            if let existing = window { return existing }
            let created = MemoryWindow(capacity: Fill.memoryWindowByteCount, firstOffset: offset)
            window = created
            return created
        }
    }

    /// The current phase.
    public var phase: Phase { state.withLock { $0.phase } }

    /// Bytes written to the file so far (acquire: the bytes are in the page
    /// cache before the count says so).
    public var writtenBytes: Int64 { writtenByteCount.load(ordering: .acquiring) }

    // MARK: Waiters

    /// Asks for `observers`' loop to be notified of changes (once per loop).
    func addInterest(_ observers: FillObservers) {
        let interest = FillInterest(observers: observers)
        state.withLock { state in
            if !state.interests.contains(where: { $0.observers === observers }) {
                state.interests.append(interest)
            }
        }
    }

    /// Tells every interested loop that something changed; coalesced, so a
    /// loop that has not yet handled the previous notification gets no second
    /// wake-up.
    func notifyInterestedLoops() {
        let interests = state.withLock { $0.interests }
        for interest in interests { interest.notify(self) }
    }

    // MARK: Upstream side (owner loop)

    func published(writtenBytes: Int64) {
        writtenByteCount.store(writtenBytes, ordering: .releasing)
        notifyInterestedLoops()
    }

    /// The size is known: waiters answer their heads. Only from `awaitingHead` (the
    /// driver's `FillState` orders it; a repeat is ignored).
    func answerWaiters(size: Int64) {
        let changed = state.withLock { state in
            guard case .awaitingHead = state.phase else { return false }
            state.phase = .streaming(size: size)
            return true
        }
        if changed { notifyInterestedLoops() }
    }

    /// The final phase; a second verdict is ignored (the phase never goes back).
    func announce(_ verdict: FillState.Verdict) {
        let changed = state.withLock { state in
            switch state.phase {
            case .verified, .failed:
                return false
            case .awaitingHead, .streaming:
                switch verdict {
                case .verified(let size): state.phase = .verified(size: size)
                case .failed(let failure): state.phase = .failed(failure)
                }
                return true
            }
        }
        if changed { notifyInterestedLoops() }
    }
}
