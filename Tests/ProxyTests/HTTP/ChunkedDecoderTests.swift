import CEpoll
import Testing

/// What the decoder made of a whole input, gathered over every call.
private enum Decoded: Equatable {
    /// The body ended; `leftover` followed the final CRLF.
    case complete(body: [UInt8], leftover: [UInt8])
    /// All input was consumed and more is needed.
    case partial(body: [UInt8])
    /// The framing was refused.
    case invalid
}

/// Decodes `input` cut at `cuts` (ascending offsets), each piece a fresh copy as it would
/// arrive in a read buffer; bytes of pieces after the end count as leftover.
private func decode(_ input: [UInt8], cuts: [Int] = []) -> Decoded {
    var decoder = cep_chunked()
    var body: [UInt8] = []
    let bounds = [0] + cuts + [input.count]
    for (start, end) in zip(bounds, bounds.dropFirst()) {
        var piece = Array(input[start..<end]).map { CChar(bitPattern: $0) }
        var length = piece.count
        let result = piece.withUnsafeMutableBufferPointer { cep_chunked_decode(&decoder, $0.baseAddress, &length) }
        let bytes = piece.map { UInt8(bitPattern: $0) }
        body += bytes[..<length]
        if result >= 0 {
            return .complete(body: body, leftover: Array(bytes[length..<(length + result)] + input[end...]))
        }
        if result == invalidResult { return .invalid }
        #expect(length <= end - start && result == partialResult)
    }
    return .partial(body: body)
}

private func decode(_ text: String, cuts: [Int] = []) -> Decoded { decode(Array(text.utf8), cuts: cuts) }

/// The decoder's status codes as the `ssize_t` it returns.
private let partialResult = Int(CEP_HTTP_PARTIAL), invalidResult = Int(CEP_HTTP_INVALID)

private func body(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct ChunkedDecoderTests {
    @Test func chunksWithExtensionsAndTrailersDecodeToTheirData() {
        let input = "4;name=value\r\nWiki\r\n5 ; a=\"q;d\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n"
        #expect(decode(input) == .complete(body: body("Wikipedia in\r\n\r\nchunks."), leftover: []))
    }

    @Test(arguments: [
        "4;name=value\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT",
        "000a\r\n0123456789\r\n1;x\r\n!\r\n00\r\n\r\n",
        "3\r\nabc\r\n3\r\ndef\r\n",
        "3\r\nabc\r\nz\r\n",
    ])
    func everySplitDecodesLikeTheWhole(input: String) {
        let bytes = Array(input.utf8)
        let whole = decode(bytes)
        for cut in 1..<bytes.count {
            #expect(decode(bytes, cuts: [cut]) == whole, "cut at \(cut)")
        }
        #expect(decode(bytes, cuts: Array(1..<bytes.count)) == whole)
        for first in stride(from: 1, to: bytes.count, by: 3) {
            for second in stride(from: first + 1, to: bytes.count, by: 5) {
                #expect(decode(bytes, cuts: [first, second]) == whole)
            }
        }
    }

    @Test func bytesAfterTheFinalCRLFAreLeftoverAtAnySplit() {
        let input = Array("2\r\nok\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n".utf8)
        let expected = Decoded.complete(body: body("ok"), leftover: body("GET / HTTP/1.1\r\n\r\n"))
        for cut in 1..<input.count {
            #expect(decode(input, cuts: [cut]) == expected, "cut at \(cut)")
        }
    }

    @Test func incompleteInputIsPartialWithTheDataSoFar() {
        #expect(decode("5\r\nab") == .partial(body: body("ab")))
        #expect(decode("5\r\nabcde\r\n0\r\n") == .partial(body: body("abcde")))
        #expect(decode("") == .partial(body: []))
    }

    @Test(arguments: [
        "\r\n", "g\r\n", "-1\r\n", "+1\r\n", "0x10\r\n", " 5\r\n", "\t5\r\n", "5 \r\n", ";x\r\n",
        "10000000000000000\r\n", "1000000000000000\r\n", "5\n", "5;a\nb\r\n", "5;\u{0}\r\n",
    ])
    func malformedChunkSizeLinesAreRefused(sizeLine: String) {
        #expect(decode(sizeLine + "abcde\r\n0\r\n\r\n") == .invalid)
    }

    @Test func sizesUpToFifteenSignificantHexDigitsAreAccepted() {
        #expect(decode("fffffffffffffff\r\nab") == .partial(body: body("ab")))
        #expect(decode("000000000000000000000001\r\na\r\n0\r\n\r\n") == .complete(body: body("a"), leftover: []))
        #expect(decode("5 ; ext\r\nabcde\r\n0\r\n\r\n") == .complete(body: body("abcde"), leftover: []))
    }

    @Test(arguments: [
        "3\r\nabcX\r\n0\r\n\r\n", "3\r\nabcX\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n", "3\r\nabc\n\n0\r\n\r\n",
        "3\r\nabcd\r\n0\r\n\r\n", "3\r\nabc\r\r\n",
    ])
    func dataNotFollowedByExactlyCRLFIsRefused(input: String) {
        #expect(decode(input) == .invalid)
    }

    @Test func sizeLineAtFourKiBIsAcceptedAndOneBytePastIsRefused() {
        func input(sizeLineLength: Int) -> String {
            "1;" + String(repeating: "e", count: sizeLineLength - 2) + "\r\nx\r\n0\r\n\r\n"
        }
        #expect(decode(input(sizeLineLength: 4096)) == .complete(body: body("x"), leftover: []))
        #expect(decode(input(sizeLineLength: 4097)) == .invalid)
        #expect(decode(input(sizeLineLength: 4097), cuts: [1, 2, 3, 4000]) == .invalid)
    }

    @Test func trailerSectionAt64KiBIsAcceptedAndOneBytePastIsRefused() {
        // "X: " + value + CRLF: 5 bytes of framing around the value.
        func input(trailerLength: Int) -> String {
            "0\r\nX: " + String(repeating: "t", count: trailerLength - 5) + "\r\n\r\n"
        }
        #expect(decode(input(trailerLength: 65536)) == .complete(body: [], leftover: []))
        #expect(decode(input(trailerLength: 65537)) == .invalid)
    }

    @Test(arguments: ["0\r\n X: folded\r\n\r\n", "0\r\nNo colon\r\n\r\n", "0\r\nX: a\rb\r\n\r\n", "0\r\nX: 1\n\r\n", "0\r\n\r\r\n"])
    func malformedTrailersAreRefused(input: String) {
        #expect(decode(input) == .invalid)
    }

    @Test func decoderRepeatsItsVerdictOnLaterInput() {
        var decoder = cep_chunked()
        var done = Array("0\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        var length = done.count
        #expect(cep_chunked_decode(&decoder, &done, &length) == 0)
        var more = Array("abc".utf8).map { CChar(bitPattern: $0) }
        length = more.count
        #expect(cep_chunked_decode(&decoder, &more, &length) == 3 && length == 0)

        var refused = cep_chunked()
        var bad = Array("x\r\n".utf8).map { CChar(bitPattern: $0) }
        length = bad.count
        #expect(cep_chunked_decode(&refused, &bad, &length) == invalidResult)
        var good = Array("0\r\n\r\n".utf8).map { CChar(bitPattern: $0) }
        length = good.count
        #expect(cep_chunked_decode(&refused, &good, &length) == invalidResult)
    }
}
