import Testing
@testable import Proxy
@testable import ProxyHTTP

/// `ContentRange` (RFC 9110 section 14.4): only a complete `bytes first-last/size` parses.
@Suite struct ContentRangeTests {
    @Test(arguments: [
        ("bytes 0-99/100", ContentRange(first: 0, last: 99, size: 100)),
        ("bytes 1048576-4194303/4194304", ContentRange(first: 1_048_576, last: 4_194_303, size: 4_194_304)),
        ("BYTES 5-5/6", ContentRange(first: 5, last: 5, size: 6)),
        (" bytes 1-2/3 ", ContentRange(first: 1, last: 2, size: 3)),
        ("bytes */100", nil),
        ("bytes 0-99/*", nil),
        ("bytes 10-5/100", nil),
        ("bytes 0-100/100", nil),
        ("items 0-9/10", nil),
        ("bytes 0-9", nil),
        ("bytes -1-9/10", nil),
        ("bytes 0-9/10x", nil),
        ("bytes 0-99999999999999999999/100000000000000000000", nil),
    ] as [(String, ContentRange?)])
    func parses(value: String, expected: ContentRange?) {
        #expect(ContentRange.parse(value) == expected)
    }
}
