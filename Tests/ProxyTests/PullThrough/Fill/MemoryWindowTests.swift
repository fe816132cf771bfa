import Testing
@testable import Proxy
@testable import ProxyPullThrough

/// `MemoryWindow`: the last `capacity` bytes of an uncached fill, copied out to waiters (no
/// socket under its lock); a waiter behind the ring's start is told it fell behind.
@Suite struct MemoryWindowTests {
    static func append(_ bytes: [UInt8], to window: MemoryWindow) -> Bool {
        bytes.withUnsafeBytes { window.append($0) }
    }

    /// Copies up to `count` bytes from `offset` below `limit`.
    static func copy(_ window: MemoryWindow, from offset: Int64, limit: Int64, count: Int = 64) -> ([UInt8], MemoryWindow.CopyResult) {
        var buffer = [UInt8](repeating: 0, count: count)
        let result = buffer.withUnsafeMutableBytes { window.copy(from: offset, limit: limit, into: $0) }
        if case .copied(let n) = result { return (Array(buffer[..<n]), result) }
        return ([], result)
    }

    @Test func copiesTheBytesAtAnOffsetAcrossTheWrapAndUpToTheLimit() {
        let window = MemoryWindow(capacity: 8, firstOffset: 100)
        #expect(Self.copy(window, from: 100, limit: 200).1 == .copied(0), "nothing held yet")
        #expect(Self.append([0, 1, 2, 3, 4, 5], to: window))
        #expect(Self.copy(window, from: 100, limit: 200).0 == [0, 1, 2, 3, 4, 5])
        #expect(Self.copy(window, from: 102, limit: 104).0 == [2, 3], "the limit bounds the copy")
        #expect(Self.append([6, 7, 8, 9], to: window))  // wraps: the ring now holds offsets 102..<110
        #expect(Self.copy(window, from: 102, limit: 200).0 == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(Self.copy(window, from: 104, limit: 200, count: 3).0 == [4, 5, 6], "the buffer bounds the copy")
        #expect(Self.copy(window, from: 101, limit: 200).1 == .fellBehind)
    }

    @Test func aPieceLargerThanTheRingKeepsItsLastBytes() {
        let window = MemoryWindow(capacity: 4, firstOffset: 0)
        #expect(Self.append(Array(0..<10), to: window))
        #expect(Self.copy(window, from: 6, limit: 10).0 == [6, 7, 8, 9])
        #expect(Self.copy(window, from: 5, limit: 10).1 == .fellBehind)
    }
}
