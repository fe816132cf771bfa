import Testing

@testable import Proxy
@testable import ProxyHTTP

@Suite struct ByteRangeTests {
    static let parses: [(String, ByteRange?)] = [
        ("bytes=0-499", .closed(first: 0, last: 499)),
        ("bytes=500-999", .closed(first: 500, last: 999)),
        ("bytes=-500", .suffix(length: 500)),
        ("bytes=9500-", .from(first: 9500)),
        ("bytes=0-0", .closed(first: 0, last: 0)),
        ("bytes=-1", .suffix(length: 1)),
        ("bytes=-0", .suffix(length: 0)),
        ("Bytes=0-1", .closed(first: 0, last: 1)),
        ("BYTES=5-", .from(first: 5)),
        (" bytes=0-1 ", .closed(first: 0, last: 1)),
        ("bytes= 0-1", .closed(first: 0, last: 1)),
        ("bytes=0-1,", .closed(first: 0, last: 1)),
        ("bytes=, 0-1", .closed(first: 0, last: 1)),
        ("bytes=7-7", .closed(first: 7, last: 7)),
        ("bytes=99999999999999999999-", .from(first: Int64.max)),
        ("bytes=0-99999999999999999999", .closed(first: 0, last: Int64.max)),
        // Ignored: several ranges, other units, invalid syntax.
        ("bytes=0-499, 500-999", nil),
        ("bytes=500-600,601-999", nil),
        ("bytes=0-0,-1", nil),
        ("items=0-1", nil),
        ("bytesx=0-1", nil),
        ("bytes=5-4", nil),
        ("bytes=abc", nil),
        ("bytes=", nil),
        ("bytes", nil),
        ("bytes=-", nil),
        ("bytes=1-2-3", nil),
        ("bytes=0x1-2", nil),
        ("bytes=+1-2", nil),
        ("bytes=1 -2", nil),
        ("", nil),
    ]

    @Test(arguments: parses)
    func parsesOneRangeAndIgnoresEverythingElse(value: String, expected: ByteRange?) {
        #expect(ByteRange.parse(value) == expected)
        #expect(ByteRange.parse(Array(value.utf8)) == expected)
    }

    static let resolutions: [(String, Int64, ByteRange.Resolved)] = [
        // RFC 9110 section 14.1.2 examples, representation of 10000 bytes.
        ("bytes=0-499", 10_000, .satisfiable(first: 0, last: 499)),
        ("bytes=500-999", 10_000, .satisfiable(first: 500, last: 999)),
        ("bytes=-500", 10_000, .satisfiable(first: 9500, last: 9999)),
        ("bytes=9500-", 10_000, .satisfiable(first: 9500, last: 9999)),
        ("bytes=0-0", 10_000, .satisfiable(first: 0, last: 0)),
        ("bytes=-1", 10_000, .satisfiable(first: 9999, last: 9999)),
        // Clipping and the unsatisfiable edges.
        ("bytes=0-20000", 10_000, .satisfiable(first: 0, last: 9999)),
        ("bytes=9999-10000", 10_000, .satisfiable(first: 9999, last: 9999)),
        ("bytes=10000-", 10_000, .unsatisfiable),
        ("bytes=10000-10001", 10_000, .unsatisfiable),
        ("bytes=-0", 10_000, .unsatisfiable),
        ("bytes=-20000", 10_000, .satisfiable(first: 0, last: 9999)),
        ("bytes=-10000", 10_000, .satisfiable(first: 0, last: 9999)),
        ("bytes=0-", 1, .satisfiable(first: 0, last: 0)),
        ("bytes=0-99999999999999999999", 100, .satisfiable(first: 0, last: 99)),
        ("bytes=99999999999999999999-", 100, .unsatisfiable),
        ("bytes=-99999999999999999999", 100, .satisfiable(first: 0, last: 99)),
        // An empty representation has no byte to select.
        ("bytes=0-", 0, .unsatisfiable),
        ("bytes=0-0", 0, .unsatisfiable),
        ("bytes=-5", 0, .wholeRepresentation),
        ("bytes=-0", 0, .unsatisfiable),
    ]

    @Test(arguments: resolutions)
    func resolvesAgainstTheRepresentationSizePerRFC9110(value: String, size: Int64, expected: ByteRange.Resolved) throws {
        let range = try #require(ByteRange.parse(value))
        #expect(range.resolve(size: size) == expected)
    }
}
