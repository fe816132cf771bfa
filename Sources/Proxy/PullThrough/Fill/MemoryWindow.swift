import ProxySystem
import Synchronization

/// The last `capacity` bytes of a fill that cannot be written to disk (cache
/// directory read-only or full): waiters are served from this bounded ring
/// instead of the file. A waiter that falls more than `capacity` bytes behind
/// the fill is disconnected (clients retry) — it never slows the fill and
/// never grows memory.
///
/// Invariant: the ring holds body bytes `[start, end)`, `end - start <=
/// capacity`, byte `o` at index `o % capacity`. Thread-safe: the fill appends
/// and waiters copy out under one pthread lock; no syscall runs under it (a
/// waiter writes its copy to its socket after the lock is released).
final class MemoryWindow: Sendable {
    // Sendable: the ring is behind a pthread lock; the budget is atomic.
    /// Result of `copy`.
    enum CopyResult: Equatable {
        /// This many bytes (possibly 0: none held yet) were copied.
        case copied(Int)
        /// The bytes at the waiter's offset were already overwritten.
        case fellBehind
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

    /// Copies bytes `[offset, min(limit, offset + buffer.count))` that the ring holds
    /// into `buffer` (any thread). Copying, rather than writing to a socket under the lock,
    /// keeps the fill's appends from waiting on any waiter's `write(2)`.
    func copy(from offset: Int64, limit: Int64, into buffer: UnsafeMutableRawBufferPointer) -> CopyResult {
        ring.withLock { ring in
            guard offset >= ring.start else { return .fellBehind }
            var available = Int(min(min(limit, ring.end) - offset, Int64(buffer.count)))
            guard available > 0, ring.reserved else { return .copied(0) }
            var copied = 0
            ring.bytes.withUnsafeBytes { bytes in
                while available > 0 {
                    let index = Int((offset + Int64(copied)) % Int64(capacity))
                    let chunk = min(available, capacity - index)
                    buffer.baseAddress!.advanced(by: copied).copyMemory(from: bytes.baseAddress! + index, byteCount: chunk)
                    copied += chunk
                    available -= chunk
                }
            }
            return .copied(copied)
        }
    }
}
