import ProxyMetrics
import ProxyTransport

/// One client's view of a fill: the loop it is served on, its offset (the next body byte
/// to send) and its end (exclusive), i.e. the client's range `[offset, end)` of the blob.
/// Before the fill knows its size the waiter waits for it (`whenSized`); then the client
/// connection sends from it as a `StreamedBody`, and it wakes the connection when the
/// fill publishes progress. Where the bytes are is decided by `BodySource`.
///
/// While it observes the fill (from ``whenChanged(_:)`` or ``attach(_:)`` until ``cancel()``,
/// ``detach()`` or its end) it is counted in `cistern_fill_waiters`.
///
/// Invariant: `startOffset <= offset <= end`. Confinement: loop-confined (its
/// `FillObservers`' loop).
final class Waiter: StreamedBody, FillObserver, PendingAnswer {
    let fill: Fill
    private let observers: FillObservers
    /// Where the waiter is counted while it observes; nil in tests.
    private let metrics: Metrics?
    /// First body offset of the response (the range's first byte, or 0).
    private(set) var startOffset: Int64 = 0
    /// The next body byte to send.
    private(set) var offset: Int64 = 0
    /// One past the response's last body byte.
    private(set) var end: Int64 = 0
    private weak var consumer: StreamedBodyConsumer?
    /// Runs at each change of the fill until the waiter is answered or cancelled.
    private var onChange: ((Fill) -> Void)?
    private var observing = false
    /// Bytes copied out of the memory window: `[scratchOffset, scratchOffset + scratchCount)`.
    private var scratch: UnsafeMutableRawBufferPointer?
    private var scratchOffset: Int64 = 0
    private var scratchCount = 0
    /// Bytes copied out of a memory window per step (the window's lock is held for the copy).
    static let scratchByteCount = 64 * 1024

    init(fill: Fill, observers: FillObservers, metrics: Metrics? = nil) {
        self.fill = fill
        self.observers = observers
        self.metrics = metrics
    }

    deinit {
        scratch?.deallocate()
        // The observers hold waiters weakly: one freed while observing leaves the count and
        // its observers' entry here (the entry holds the fill).
        if observing {
            metrics?.fillWaiterEnded()
            observers.removeFreed(ObjectIdentifier(self), from: fill)
        }
    }

    /// Runs `onChange` on this loop at each change of the fill until `cancel()` or `start`.
    func whenChanged(_ onChange: @escaping (Fill) -> Void) {
        self.onChange = onChange
        observe()
    }

    /// Sets the response's body range `[offset, end)` (bytes of the blob).
    func start(offset: Int64, end: Int64) {
        precondition(offset <= end, "a waiter's range ends before it starts")
        onChange = nil
        startOffset = offset
        self.offset = offset
        self.end = end
    }

    /// Where the bytes at `offset` are now.
    var source: BodySource {
        BodySource.locate(offset: offset, end: end, phase: fill.phase, writtenByteCount: fill.writtenBytes,
                          hasFile: fill.file != nil, windowFirstOffset: fill.memoryWindow?.firstOffset)
    }

    // MARK: StreamedBody

    func nextSegment() -> BodySegment {
        // Read the window after the limit (inside `source`): bytes past the limit's
        // publication were stored wherever the fill put them then.
        switch source {
        case .complete:
            return .end
        case .notYet:
            return .wait
        case .failed:
            return .abort(reason: nil)
        case .growingFile(let limit), .verifiedFile(let limit):
            guard let file = fill.file else { return .abort(reason: nil) }
            return .file(file, offset: offset, end: limit)
        case .memoryWindow(let limit):
            return windowSegment(limit: limit)
        }
    }

    func consumed(_ count: Int) {
        offset += Int64(count)
        precondition(offset <= end, "a waiter sent past its end")
    }

    func attach(_ consumer: StreamedBodyConsumer) {
        self.consumer = consumer
        observe()
    }

    func detach() {
        consumer = nil
        cancel()
    }

    // MARK: PendingAnswer, FillObserver

    func cancel() {
        onChange = nil
        guard observing else { return }
        observing = false
        metrics?.fillWaiterEnded()
        observers.remove(self, from: fill)
    }

    func fillChanged(_ fill: Fill) {
        if let onChange {
            onChange(fill)
        } else {
            consumer?.streamedBodyChanged()
        }
    }

    // MARK: Private

    private func observe() {
        guard !observing else { return }
        observing = true
        metrics?.fillWaiterStarted()
        observers.add(self, to: fill)
    }

    /// The window's bytes at `offset`, copied out under its lock and written after it.
    private func windowSegment(limit: Int64) -> BodySegment {
        guard let window = fill.memoryWindow else { return .abort(reason: nil) }
        let buffer = scratch ?? UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchByteCount, alignment: 1)
        scratch = buffer
        if offset < scratchOffset || offset >= scratchOffset + Int64(scratchCount) {
            switch window.copy(from: offset, limit: limit, into: buffer) {
            case .copied(let count):
                scratchOffset = offset
                scratchCount = count
                if count == 0 { return .wait }
            case .fellBehind:
                return .abort(reason: "client fell behind an uncached fill's memory window; disconnecting")
            }
        }
        let start = Int(offset - scratchOffset)
        let count = min(scratchCount - start, Int(limit - offset))
        return .bytes(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)]))
    }
}
