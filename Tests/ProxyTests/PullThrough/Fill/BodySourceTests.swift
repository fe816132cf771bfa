import Testing
@testable import Proxy
@testable import ProxyPullThrough
@testable import ProxyUpstream

/// `BodySource`: where a waiter's next bytes are, and up to where, by table. The blob's last
/// byte waits for the verdict; bytes before a memory window come from the file.
@Suite struct BodySourceTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let offset: Int64
        let end: Int64
        let phase: Fill.Phase
        let written: Int64
        let hasFile: Bool
        let window: Int64?
        let expected: BodySource
        var testDescription: String { "[\(offset), \(end)) \(phase) written \(written) window \(window.map(String.init) ?? "-")" }
    }

    static let failure = UpstreamFailure(.upstreamError("reset"))

    static let rows: [Row] = [
        Row(offset: 0, end: 100, phase: .awaitingHead, written: 0, hasFile: true, window: nil, expected: .notYet),
        Row(offset: 0, end: 100, phase: .streaming(size: 100), written: 40, hasFile: true, window: nil, expected: .growingFile(limit: 40)),
        Row(offset: 40, end: 100, phase: .streaming(size: 100), written: 40, hasFile: true, window: nil, expected: .notYet),
        // The last byte is held back until the digest verifies...
        Row(offset: 0, end: 100, phase: .streaming(size: 100), written: 100, hasFile: true, window: nil, expected: .growingFile(limit: 99)),
        Row(offset: 99, end: 100, phase: .streaming(size: 100), written: 100, hasFile: true, window: nil, expected: .notYet),
        // ...but a range that ends before it does not wait for the verdict.
        Row(offset: 10, end: 20, phase: .streaming(size: 100), written: 100, hasFile: true, window: nil, expected: .growingFile(limit: 20)),
        Row(offset: 99, end: 100, phase: .verified(size: 100), written: 100, hasFile: true, window: nil, expected: .verifiedFile(limit: 100)),
        Row(offset: 100, end: 100, phase: .verified(size: 100), written: 100, hasFile: true, window: nil, expected: .complete),
        Row(offset: 10, end: 100, phase: .failed(failure), written: 50, hasFile: true, window: nil, expected: .failed),
        Row(offset: 100, end: 100, phase: .failed(failure), written: 100, hasFile: true, window: nil, expected: .complete),
        // A fill that went to memory at 30: bytes before come from the file, after from the window.
        Row(offset: 10, end: 100, phase: .streaming(size: 100), written: 60, hasFile: true, window: 30, expected: .growingFile(limit: 30)),
        Row(offset: 30, end: 100, phase: .streaming(size: 100), written: 60, hasFile: true, window: 30, expected: .memoryWindow(limit: 60)),
        Row(offset: 30, end: 100, phase: .verified(size: 100), written: 100, hasFile: true, window: 30, expected: .memoryWindow(limit: 100)),
        Row(offset: 10, end: 100, phase: .verified(size: 100), written: 100, hasFile: true, window: 30, expected: .growingFile(limit: 30)),
        Row(offset: 0, end: 100, phase: .streaming(size: 100), written: 60, hasFile: false, window: 0, expected: .memoryWindow(limit: 60)),
        Row(offset: 0, end: 100, phase: .streaming(size: 100), written: 60, hasFile: false, window: nil, expected: .failed),
    ]

    @Test(arguments: rows)
    func locatesTheBytesAtTheOffset(row: Row) {
        #expect(BodySource.locate(offset: row.offset, end: row.end, phase: row.phase, writtenByteCount: row.written,
                                  hasFile: row.hasFile, windowFirstOffset: row.window) == row.expected)
    }
}
