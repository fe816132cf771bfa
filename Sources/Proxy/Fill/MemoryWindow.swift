import CEpoll
import Glibc
import Synchronization

/// The last `capacity` bytes of a fill that cannot be written to disk (cache
/// directory read-only or full): waiters are served from this bounded ring
/// instead of the file. A waiter that falls more than `capacity` bytes behind
/// the fill is disconnected (clients retry) — it never slows the fill and
/// never grows memory.
///
/// Invariant: the ring holds body bytes `[start, end)`, `end - start <=
/// capacity`, byte `o` at index `o % capacity`. Thread-safe: the fill appends
/// and waiters send under one pthread lock; a send is one non-blocking
/// `write(2)`, so the lock is held only for that syscall.
final class MemoryWindow: Sendable {
    // Sendable: the ring is behind a pthread lock; the budget is atomic.
    /// Result of `send`.
    enum SendResult: Equatable {
        case sent(Int)
        case wouldBlock
        /// The bytes at the waiter's offset were already overwritten.
        case fellBehind
        case failed
    }

    /// Memory all windows together may hold (8 windows of 32 MiB): a flood
    /// of uncached fills fails with 503 instead of exhausting memory.
    static let totalBudgetByteCount = 256 * 1024 * 1024
    private static let reservedByteCount = Atomic<Int>(0)

    let capacity: Int
    /// Body offset of the ring's first byte: bytes before it are on disk (a
    /// fill that ran out of space mid-way) or were never kept.
    let firstOffset: Int64
    /// The ring is allocated (and the budget reserved) only when the first
    /// body bytes arrive, so fills that never get a body cost nothing.
    private let ring: Locked<(bytes: [UInt8], start: Int64, end: Int64, reserved: Bool)>

    init(capacity: Int, firstOffset: Int64) {
        self.capacity = capacity
        self.firstOffset = firstOffset
        ring = Locked(([], firstOffset, firstOffset, false))
    }

    deinit {
        if ring.withLock({ $0.reserved }) {
            MemoryWindow.reservedByteCount.subtract(capacity, ordering: .relaxed)
        }
    }

    /// Appends the next body bytes (the fill's loop only). Returns false when
    /// the process-wide window budget is spent: the fill must then fail.
    func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        ring.withLock { ring in
            if !ring.reserved {
                let total = MemoryWindow.reservedByteCount.wrappingAdd(capacity, ordering: .relaxed).newValue
                guard total <= MemoryWindow.totalBudgetByteCount else {
                    MemoryWindow.reservedByteCount.subtract(capacity, ordering: .relaxed)
                    return false
                }
                ring.reserved = true
                ring.bytes = [UInt8](repeating: 0, count: capacity)
            }
            var source = bytes
            if source.count > capacity {
                source = UnsafeRawBufferPointer(rebasing: source[(source.count - capacity)...])
                ring.end += Int64(bytes.count - capacity)
            }
            ring.bytes.withUnsafeMutableBytes { buffer in
                var copied = 0
                while copied < source.count {
                    let index = Int(ring.end % Int64(capacity))
                    let chunk = min(source.count - copied, capacity - index)
                    buffer.baseAddress!.advanced(by: index).copyMemory(from: source.baseAddress! + copied, byteCount: chunk)
                    copied += chunk
                    ring.end += Int64(chunk)
                }
            }
            ring.start = max(ring.start, ring.end - Int64(capacity))
            return true
        }
    }

    /// Writes bytes `[offset, limit)` (as many as the socket takes, up to the
    /// ring's wrap point) to `fd`.
    func send(to fd: Int32, offset: Int64, limit: Int64) -> SendResult {
        ring.withLock { ring in
            guard offset >= ring.start else { return .fellBehind }
            let available = min(limit, ring.end) - offset
            guard available > 0, ring.reserved else { return .sent(0) }
            let index = Int(offset % Int64(capacity))
            let count = min(Int(available), capacity - index)
            let n = ring.bytes.withUnsafeBytes { cep_write(fd, $0.baseAddress! + index, count) }
            if n >= 0 { return .sent(n) }
            return n == -Int(EAGAIN) ? .wouldBlock : .failed
        }
    }
}
