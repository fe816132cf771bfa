import BenchCore
import Testing

@Suite struct ResponseHeadParserTests {
    private func parse(_ text: String) -> ResponseHeadParser.Outcome {
        Array(text.utf8).withUnsafeBytes { ResponseHeadParser.parse($0) }
    }

    @Test func aCompleteHeadGivesItsLengthAndFraming() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\ncontent-length:  1234 \r\n\r\n"
        #expect(parse(head + "body") == .complete(.init(length: head.utf8.count, status: 200, versionMinor: 1,
                                                          contentLength: 1234, chunked: false, connectionClose: false)))
    }

    @Test func chunkedAndCloseAreRecognised() {
        let head = "HTTP/1.0 404 Not Found\r\nTransfer-Encoding: gzip, Chunked\r\nConnection: keep-alive, CLOSE\r\n\r\n"
        #expect(parse(head) == .complete(.init(length: head.utf8.count, status: 404, versionMinor: 0,
                                                 contentLength: -1, chunked: true, connectionClose: true)))
    }

    @Test func chunkedMustBeTheLastCoding() {
        guard case .complete(let head) = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") else {
            Issue.record("not complete")
            return
        }
        #expect(!head.chunked)
    }

    @Test func bareLineFeedsEndLines() {
        #expect(parse("HTTP/1.1 204 No Content\n\n") == .complete(.init(length: 25, status: 204, versionMinor: 1,
                                                                         contentLength: -1, chunked: false, connectionClose: false)))
    }

    @Test func aStatusLineWithoutReasonIsAccepted() {
        guard case .complete(let head) = parse("HTTP/1.1 200\r\n\r\n") else {
            Issue.record("not complete")
            return
        }
        #expect(head.status == 200 && head.length == 16)
    }

    @Test(arguments: ["", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", "HTTP/1.1 200 OK\r\n\r"])
    func anUnfinishedHeadIsPartial(text: String) {
        #expect(parse(text) == .partial)
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n", "HTTP/1.1 099 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "ICY 200 OK\r\n\r\n",
    ])
    func malformedHeadsAreInvalid(text: String) {
        #expect(parse(text) == .invalid)
    }

    @Test func repeatedEqualContentLengthsAreAccepted() {
        guard case .complete(let head) = parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n") else {
            Issue.record("not complete")
            return
        }
        #expect(head.contentLength == 7)
    }
}
