import Synchronization

/// One committed (or committing) file as long as any descriptor on it is open: every
/// ``SharedFile`` opened on the file shares it, so it is released when the last reader closes.
///
/// Eviction unlinks files without waiting for their readers (a hit in progress, a fill's
/// waiters keep `sendfile`-ing from their descriptors), but the disk keeps the bytes until the
/// last descriptor closes. `markEvicted()` moves the file's bytes into ``HeldByteCount``, which
/// counts against the size limit, and deinit (the last reader gone) takes them out again.
///
/// Thread-safe: atomics only.
public final class FileHold: Sendable {
    private let byteCountStorage = Atomic<Int64>(0)
    private let evicted = Atomic<Bool>(false)
    private let held: HeldByteCount

    package init(byteCount: Int64, held: HeldByteCount) {
        byteCountStorage.store(byteCount, ordering: .relaxed)
        self.held = held
    }

    /// Bytes the file takes (set when a fill's file is committed).
    package var byteCount: Int64 {
        get { byteCountStorage.load(ordering: .relaxed) }
        set { byteCountStorage.store(newValue, ordering: .relaxed) }
    }

    /// The file was unlinked while readers had it open: its bytes stay counted until deinit.
    package func markEvicted() {
        guard !evicted.exchange(true, ordering: .acquiringAndReleasing) else { return }
        held.add(byteCount)
    }

    deinit {
        if evicted.load(ordering: .acquiring) { held.add(-byteCount) }
    }
}

/// Bytes of evicted files still open for reading (see ``FileHold``). Any thread.
public final class HeldByteCount: Sendable {
    private let value = Atomic<Int64>(0)

    public init() {}

    public var byteCount: Int64 { value.load(ordering: .relaxed) }

    func add(_ delta: Int64) {
        value.wrappingAdd(delta, ordering: .relaxed)
    }
}
