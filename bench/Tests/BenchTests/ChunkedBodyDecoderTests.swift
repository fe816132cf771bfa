import BenchCore
import Testing

@Suite struct ChunkedBodyDecoderTests {
    /// Decodes `text` split at `splits` (byte offsets); returns the data, the final outcome.
    private func decode(_ text: String, splits: [Int] = []) -> (data: String, outcome: ChunkedBodyDecoder.Outcome) {
        var decoder = ChunkedBodyDecoder()
        var bytes = Array(text.utf8)
        var data: [UInt8] = []
        var outcome = ChunkedBodyDecoder.Outcome.more(dataCount: 0)
        var start = 0
        for end in splits + [bytes.count] {
            outcome = bytes[start..<end].withUnsafeMutableBytes { decoder.decode($0) }
            switch outcome {
            case .more(let n), .done(let n, _): data += bytes[start..<(start + n)]
            case .invalid: break
            }
            if case .more = outcome { start = end } else { break }
        }
        return (String(decoding: data, as: UTF8.self), outcome)
    }

    @Test func chunksAreJoinedAndTheEndFound() {
        let body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n"
        let result = decode(body + "HTTP/1.1")
        #expect(result.data == "Wikipedia")
        #expect(result.outcome == .done(dataCount: 9, consumed: body.utf8.count))
    }

    @Test func anyByteSplitGivesTheSameData() {
        let body = "A\r\n0123456789\r\n1\r\nx\r\n0\r\nTrailer: y\r\n\r\n"
        for split in 1..<body.utf8.count {
            let result = decode(body, splits: [split])
            #expect(result.data == "0123456789x", "split at \(split)")
            if case .done = result.outcome {} else { Issue.record("not done at split \(split)") }
        }
    }

    @Test(arguments: ["x\r\n", "4\r\nWikiX\r\n", "\r\n", "4\r\nWiki\r\n0\r\nX\r\nY"])
    func malformedBodiesAreInvalidOrUnfinished(text: String) {
        let outcome = decode(text).outcome
        if case .done = outcome { Issue.record("done on \(text)") }
    }

    @Test func anOversizedChunkSizeIsInvalid() {
        #expect(decode("fffffffffffffffff\r\n").outcome == .invalid)
    }
}
