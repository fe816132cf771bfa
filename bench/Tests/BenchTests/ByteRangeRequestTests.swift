import BenchCore
import Testing

@Suite struct ByteRangeRequestTests {
    @Test(arguments: [
        (nil, ByteRangeRequest.whole),
        ("bytes=0-9", .partial(0..<10)),
        ("bytes=90-", .partial(90..<100)),
        ("bytes=-10", .partial(90..<100)),
        ("bytes=-500", .partial(0..<100)),
        ("bytes=50-500", .partial(50..<100)),
        ("bytes=100-", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=0-1,5-6", .whole),
        ("items=0-1", .whole),
        ("bytes=9-3", .whole),
    ] as [(String?, ByteRangeRequest)])
    func resolvesAgainstAHundredBytes(field: String?, expected: ByteRangeRequest) {
        #expect(ByteRangeRequest.resolve(field, length: 100) == expected)
    }
}
