/// A loop's free list of equally sized raw buffers: what a client connection borrows while
/// bytes of a request are in flight and gives back when it goes idle, so that an idle
/// keep-alive connection holds no buffer (nginx frees its request buffer in the same place).
///
/// Buffers of another size (a read buffer grown for a large head) are freed, not kept; at
/// most `keptCount` free buffers stay in the list, so a burst of connections leaves at
/// most `keptCount × byteCount` bytes behind.
///
/// Confinement: one loop's thread (owned by its `ConnectionContext`).
final class BufferPool {
    /// Bytes of every pooled buffer.
    let byteCount: Int
    /// Most free buffers kept.
    let keptCount: Int
    private var free: [UnsafeMutableRawBufferPointer] = []

    init(byteCount: Int, keptCount: Int) {
        self.byteCount = byteCount
        self.keptCount = keptCount
        free.reserveCapacity(keptCount)
    }

    deinit {
        for buffer in free { buffer.deallocate() }
    }

    /// A buffer of `byteCount` bytes (uninitialised contents).
    func take() -> UnsafeMutableRawBufferPointer {
        if let buffer = free.popLast() { return buffer }
        return .allocate(byteCount: byteCount, alignment: 16)
    }

    /// Returns a buffer taken from this pool, or frees one of another size.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count == byteCount && free.count < keptCount {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }

    /// Free buffers held now (for tests).
    var freeCount: Int { free.count }
}
