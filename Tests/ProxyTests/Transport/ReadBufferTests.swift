import Glibc
import Testing
@testable import Proxy
@testable import ProxyTransport

/// The client connection's read buffer over a socketpair: reads append after what is
/// unconsumed, consumption keeps the rest contiguous (compacting before growing), growth
/// stops at the maximum (a full buffer reports EAGAIN rather than reading), and an idle
/// buffer gives its memory back.
@Suite struct ReadBufferTests {
    /// A non-blocking socketpair; `body` gets (reader, writer).
    private func withSocketPair(_ body: (Int32, Int32) throws -> Void) throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        try body(pair[0], pair[1])
    }

    private func contents(_ buffer: ReadBuffer) -> [UInt8] {
        buffer.withReadableBytes { Array($0) }
    }

    private func send(_ bytes: [UInt8], to fd: Int32) {
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    @Test func readsAppendAfterUnconsumedBytesAndConsumingKeepsTheRest() throws {
        try withSocketPair { reader, writer in
            var buffer = ReadBuffer(maximumCapacity: 64 * 1024)
            #expect(buffer.read(from: reader) == -Int(EAGAIN_VALUE))
            send(Array("GET / HTTP/1.1\r\n".utf8), to: writer)
            #expect(buffer.read(from: reader) == 16)
            send(Array("Host: a\r\n\r\n".utf8), to: writer)
            #expect(buffer.read(from: reader) == 11)
            #expect(contents(buffer) == Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
            buffer.consume(16)
            #expect(contents(buffer) == Array("Host: a\r\n\r\n".utf8))
            buffer.consume(11)
            #expect(buffer.isEmpty && buffer.count == 0)
            close(writer)
            #expect(buffer.read(from: reader) == 0)  // End of stream.
        }
    }

    @Test func aBufferGrowsUpToItsMaximumThenReportsFullWithoutReading() throws {
        try withSocketPair { reader, writer in
            var buffer = ReadBuffer(maximumCapacity: 8192)
            let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            send(bytes, to: writer)
            var total = 0
            while total < 8192 {
                let n = buffer.read(from: reader)
                #expect(n > 0)
                if n <= 0 { return }
                total += n
            }
            #expect(total == 8192 && buffer.isFull)
            #expect(buffer.read(from: reader) == -Int(EAGAIN_VALUE))  // Nothing taken from the socket.
            #expect(contents(buffer) == Array(bytes.prefix(8192)))
            // Consuming makes room by compaction: the rest arrives after the kept bytes.
            buffer.consume(4096)
            while buffer.count < 4096 + 1808 {
                guard buffer.read(from: reader) > 0 else { break }
            }
            #expect(contents(buffer) == Array(bytes[4096...]))
        }
    }

    @Test func appendGrowsPastReadsAndAnIdleBufferGivesItsMemoryBack() {
        var buffer = ReadBuffer(maximumCapacity: 16 * 1024)
        let big = [UInt8](repeating: 0x61, count: 10_000)
        big.withUnsafeBytes { buffer.append($0) }
        [UInt8](repeating: 0x62, count: 3).withUnsafeBytes { buffer.append($0) }
        #expect(contents(buffer) == big + [0x62, 0x62, 0x62])
        buffer.releaseIfEmpty()  // Not empty: kept.
        #expect(buffer.count == 10_003)
        buffer.consume(10_003)
        buffer.releaseIfEmpty()
        #expect(buffer.isEmpty)
        [UInt8](repeating: 0x63, count: 5).withUnsafeBytes { buffer.append($0) }
        #expect(contents(buffer) == [0x63, 0x63, 0x63, 0x63, 0x63])
    }

    @Test func storageIsBorrowedForBytesInFlightAndGivenBackWhenIdle() throws {
        try withSocketPair { reader, writer in
            let pool = BufferPool(byteCount: 4096, keptCount: 8)
            var buffer = ReadBuffer(maximumCapacity: 64 * 1024, pool: pool)
            #expect(buffer.capacity == 0)
            // Nothing to read: the borrowed buffer goes straight back.
            #expect(buffer.read(from: reader) == -Int(EAGAIN_VALUE))
            #expect(buffer.capacity == 0 && pool.freeCount == 1)
            send(Array("GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n".utf8), to: writer)
            #expect(buffer.read(from: reader) == 30)
            #expect(buffer.capacity == 4096 && pool.freeCount == 0)
            buffer.releaseIfEmpty()  // Bytes still unconsumed: kept.
            #expect(buffer.capacity == 4096)
            buffer.consume(30)
            buffer.releaseIfEmpty()
            #expect(buffer.capacity == 0 && pool.freeCount == 1)
        }
    }

    @Test func aGrownBufferIsFreedNotPooledAndThePoolIsBounded() {
        let pool = BufferPool(byteCount: 2048, keptCount: 1)
        var buffer = ReadBuffer(maximumCapacity: 64 * 1024, pool: pool)
        let big = [UInt8](repeating: 0x61, count: 5000)
        big.withUnsafeBytes { buffer.append($0) }
        #expect(buffer.capacity >= 5000)
        buffer.consume(5000)
        buffer.releaseIfEmpty()
        #expect(buffer.capacity == 0 && pool.freeCount == 0)
        let a = pool.take(), b = pool.take()
        pool.give(a)
        pool.give(b)  // Over `keptCount`: freed.
        #expect(pool.freeCount == 1)
    }
}
