import CEpoll

/// Bytes read from a socket and not yet consumed: the current request head
/// (kept contiguous from `readableBytes`' first byte, as the incremental
/// parser requires) plus any pipelined bytes after it.
///
/// Holds memory only while bytes are in flight: the storage is taken from the loop's
/// `BufferPool` when a read is about to happen and given back by `releaseIfEmpty()` (and
/// at once when a read finds nothing), so an idle keep-alive connection holds none
/// (issue 19, S4; nginx does the same with its request buffer). A head larger than the
/// pool's buffers grows a private buffer by doubling up to `maximumCapacity`, freed when
/// released.
///
/// Ownership: the storage belongs to this value; never copy a `ReadBuffer` that holds
/// storage (the connection keeps it in one stored property). Confinement: owned by one
/// connection on one loop.
struct ReadBuffer {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var start = 0
    private var end = 0
    let maximumCapacity: Int
    private let pool: BufferPool

    /// A buffer that borrows its storage from `pool`.
    init(maximumCapacity: Int, pool: BufferPool) {
        self.maximumCapacity = maximumCapacity
        self.pool = pool
    }

    /// A buffer with a private pool (tests).
    init(maximumCapacity: Int) {
        self.init(maximumCapacity: maximumCapacity, pool: BufferPool(byteCount: 2048, keptCount: 1))
    }

    /// Number of unconsumed bytes.
    var count: Int { end - start }
    var isEmpty: Bool { start == end }
    /// Whether no more bytes fit even after compaction and growth.
    var isFull: Bool { count >= maximumCapacity }
    /// Bytes of storage held now (0 when idle).
    var capacity: Int { storage.count }

    /// Reads once from `fd` into free space. Returns the byte count, 0 at end
    /// of stream, or a negative errno (`-EAGAIN` when nothing is pending, and
    /// without reading when the buffer holds `maximumCapacity` bytes: reads
    /// never grow it past that; only `append` may).
    mutating func read(from fd: Int32) -> Int {
        if isFull { return -Int(EAGAIN_VALUE) }
        makeRoom()
        let room = storage.count - end
        if room == 0 { return -Int(EAGAIN_VALUE) }
        let n = cep_read(fd, storage.baseAddress! + end, room)
        if n > 0 { end += n } else { releaseIfEmpty() }
        return n
    }

    /// Reads once from a TLS session into free space: `read(from:)`'s contract, with
    /// OpenSSL's answers passed through (`CEP_TLS_WANT_READ`/`WANT_WRITE`, `CEP_TLS_ERROR`).
    mutating func read(tls session: OpaquePointer) -> Int {
        if isFull { return Int(CEP_TLS_WANT_READ) }
        makeRoom()
        let room = storage.count - end
        if room == 0 { return Int(CEP_TLS_WANT_READ) }
        let n = cep_tls_read(session, storage.baseAddress! + end, room)
        if n > 0 { end += n } else { releaseIfEmpty() }
        return n
    }

    /// Appends bytes (used by tests).
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        makeRoom(atLeast: bytes.count)
        (storage.baseAddress! + end).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        end += bytes.count
    }

    /// Runs `body` over the unconsumed bytes.
    func withReadableBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        body(UnsafeRawBufferPointer(rebasing: storage[start..<end]))
    }

    /// Runs `body` over the unconsumed bytes, which it may rewrite in place (a chunked
    /// request body is decoded where it lies).
    mutating func withMutableReadableBytes<T>(_ body: (UnsafeMutableRawBufferPointer) -> T) -> T {
        body(UnsafeMutableRawBufferPointer(rebasing: storage[start..<end]))
    }

    /// Keeps only the first `n` unconsumed bytes (`n <= count`).
    mutating func keepFirst(_ n: Int) {
        end = start + n
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Marks `n` bytes as consumed.
    mutating func consume(_ n: Int) {
        start += n
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Gives the storage back when no byte is unconsumed (an idle connection holds none).
    mutating func releaseIfEmpty() {
        guard isEmpty, storage.baseAddress != nil else { return }
        pool.give(storage)
        storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        start = 0
        end = 0
    }

    /// Gives the storage back whatever it holds (the connection closed).
    mutating func release() {
        start = 0
        end = 0
        releaseIfEmpty()
    }

    private mutating func makeRoom(atLeast needed: Int = 1) {
        if storage.count - end >= needed { return }
        if storage.baseAddress == nil && needed <= pool.byteCount {
            storage = pool.take()
            return
        }
        if start > 0 {
            (storage.baseAddress! + 0).copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
            if storage.count - end >= needed { return }
        }
        var capacity = max(storage.count, pool.byteCount)
        while capacity - end < needed && capacity < maximumCapacity { capacity *= 2 }
        capacity = min(max(capacity, end + needed), max(maximumCapacity, end + needed))
        guard capacity > storage.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        if end > 0 { grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: end) }
        if storage.baseAddress != nil { pool.give(storage) }
        storage = grown
    }
}

/// `EAGAIN` as a Swift constant (Glibc's macro is imported, but keeping the
/// shim's convention explicit here documents what callers compare against).
let EAGAIN_VALUE: Int32 = 11
