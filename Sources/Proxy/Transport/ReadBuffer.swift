import CEpoll

/// Bytes read from a socket and not yet consumed: the current request head
/// (kept contiguous from `readableBytes`' first byte, as the incremental
/// parser requires) plus any pipelined bytes after it.
///
/// Starts small and grows by doubling up to `maximumCapacity`, so an idle
/// keep-alive connection costs little memory. Confinement: owned by one
/// connection on one loop.
struct ReadBuffer {
    private var storage: [UInt8] = []
    private var start = 0
    private var end = 0
    let maximumCapacity: Int

    init(maximumCapacity: Int) {
        self.maximumCapacity = maximumCapacity
    }

    /// Number of unconsumed bytes.
    var count: Int { end - start }
    var isEmpty: Bool { start == end }
    /// Whether no more bytes fit even after compaction and growth.
    var isFull: Bool { count >= maximumCapacity }

    /// Reads once from `fd` into free space. Returns the byte count, 0 at end
    /// of stream, or a negative errno (`-EAGAIN` when nothing is pending, and
    /// without reading when the buffer holds `maximumCapacity` bytes: reads
    /// never grow it past that; only `append` may).
    mutating func read(from fd: Int32) -> Int {
        if isFull { return -Int(EAGAIN_VALUE) }
        makeRoom()
        let room = storage.count - end
        if room == 0 { return -Int(EAGAIN_VALUE) }
        let n = storage.withUnsafeMutableBytes { raw in
            cep_read(fd, raw.baseAddress! + end, room)
        }
        if n > 0 { end += n }
        return n
    }

    /// Reads once from a TLS session into free space: `read(from:)`'s contract, with
    /// OpenSSL's answers passed through (`CEP_TLS_WANT_READ`/`WANT_WRITE`, `CEP_TLS_ERROR`).
    mutating func read(tls session: OpaquePointer) -> Int {
        if isFull { return Int(CEP_TLS_WANT_READ) }
        makeRoom()
        let room = storage.count - end
        if room == 0 { return Int(CEP_TLS_WANT_READ) }
        let n = storage.withUnsafeMutableBytes { raw in
            cep_tls_read(session, raw.baseAddress! + end, room)
        }
        if n > 0 { end += n }
        return n
    }

    /// Appends bytes (used by tests).
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        makeRoom(atLeast: bytes.count)
        storage.withUnsafeMutableBytes { raw in
            raw.baseAddress!.advanced(by: end).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        end += bytes.count
    }

    /// Runs `body` over the unconsumed bytes.
    func withReadableBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        storage.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        }
    }

    /// Runs `body` over the unconsumed bytes, which it may rewrite in place (a chunked
    /// request body is decoded where it lies).
    mutating func withMutableReadableBytes<T>(_ body: (UnsafeMutableRawBufferPointer) -> T) -> T {
        let (start, end) = (self.start, self.end)
        return storage.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<end]))
        }
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

    /// Drops all bytes and shrinks back to nothing (idle connections).
    mutating func releaseIfEmpty() {
        if isEmpty && storage.count > 4096 {
            storage = []
            start = 0
            end = 0
        }
    }

    private mutating func makeRoom(atLeast needed: Int = 1) {
        if storage.count - end >= needed { return }
        if start > 0 {
            storage.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                base.copyMemory(from: base + start, byteCount: end - start)
            }
            end -= start
            start = 0
            if storage.count - end >= needed { return }
        }
        var capacity = max(storage.count, 2048)
        while capacity - end < needed && capacity < maximumCapacity { capacity *= 2 }
        capacity = min(max(capacity, end + needed), max(maximumCapacity, end + needed))
        if capacity > storage.count {
            storage.append(contentsOf: repeatElement(0, count: capacity - storage.count))
        }
    }
}

/// `EAGAIN` as a Swift constant (Glibc's macro is imported, but keeping the
/// shim's convention explicit here documents what callers compare against).
let EAGAIN_VALUE: Int32 = 11
