import CEpoll
import Testing

/// A head the parser must refuse, and why.
private struct RefusalCase: Sendable, CustomTestStringConvertible {
    let head: String, refusal: Refusal
    init(_ head: String, _ refusal: Refusal) { (self.head, self.refusal) = (head, refusal) }
    var testDescription: String { head.debugDescription }
}

private let registryGet = """
    GET /v2/library/alpine/manifests/3.20 HTTP/1.1\r
    Host: mirror.local:5000\r
    Accept:  application/vnd.oci.image.index.v1+json \t\r
    Authorization: Bearer abc.def\r
    Connection: keep-alive\r
    \r\n
    """

@Suite struct HTTPParserTests {
    @Test func registryGetYieldsMethodTargetAndTrimmedFields() throws {
        let parsed = parse(registryGet)
        #expect(parsed.result == Int32(registryGet.utf8.count))
        #expect(parsed.method == "GET" && parsed.target == "/v2/library/alpine/manifests/3.20")
        #expect(parsed.versionMinor == 1 && parsed.contentLength == -1)
        #expect(parsed.flags == UInt32(CEP_HTTP_F_CONN_KEEPALIVE))
        #expect(parsed.fields == [
            Field(name: "Host", value: "mirror.local:5000"),
            Field(name: "Accept", value: "application/vnd.oci.image.index.v1+json"),
            Field(name: "Authorization", value: "Bearer abc.def"),
            Field(name: "Connection", value: "keep-alive"),
        ])
        let offsets = try #require(parsed.head)
        #expect(offsets.methodOffset == 0 && offsets.targetOffset == 4)
        // "Accept:" starts at 73; two spaces of OWS precede the value, which ends before " \t".
        #expect(offsets.fields[1] == [73, 6, 82, 39])
    }

    @Test func fieldNameComparisonIgnoresCase() {
        let bytes = Array("xHOST".utf8).map { CChar(bitPattern: $0) }
        var field = cep_http_field(name_off: 1, name_len: 4, value_off: 5, value_len: 0)
        #expect(cep_http_field_is(bytes, &field, "host", 4) == 1)
        #expect(cep_http_field_is(bytes, &field, "hosts", 5) == 0)
        #expect(cep_http_field_is(bytes, &field, "hast", 4) == 0)
    }

    @Test(arguments: [
        (registryGet, StartLine.request),
        ("\r\n\r\nPUT /v2/a/blobs/uploads/1?digest=sha256:ab HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", .request),
        ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3\r\nabc", .request),
        ("GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .request),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDocker-Content-Digest: sha256:00\r\n\r\n{}", .response),
        ("HTTP/1.1 404 Not Found\r\nX: a\rb\r\n\r\n", .response),
    ])
    fileprivate func everySplitGivesTheSameResultAsTheWhole(text: String, startLine: StartLine) {
        let bytes = Array(text.utf8)
        let whole = parse(bytes, as: startLine)
        #expect(whole.result != CEP_HTTP_PARTIAL)
        let end = whole.result > 0 ? Int(whole.result) : bytes.count
        for split in 0..<end {
            #expect(parse(Array(bytes[..<split]), as: startLine).result == CEP_HTTP_PARTIAL || whole.result < 0)
            #expect(parse(bytes, as: startLine, prefixLengths: [split]) == whole, "split at \(split)")
        }
        #expect(parse(bytes, as: startLine, prefixLengths: Array(1..<bytes.count)) == whole)
    }

    @Test func completedLinesAreNotScannedAgain() {
        let storage = UnsafeMutablePointer<cep_http_field>.allocate(capacity: 4)
        defer { storage.deallocate() }
        var head = cep_http_head()
        (head.fields, head.fields_cap) = (storage, 4)
        cep_http_reset(&head)
        let first = Array("GET / HTTP/1.1\r\nX: 1\r\n".utf8)
        #expect(feed(&head, first, .request) == CEP_HTTP_PARTIAL)
        // Bytes already scanned are garbled: a parser that rescanned them would refuse the head.
        let rest = Array("\0\0\0 / HTTP/1.1\r\nX: 1\r\n".utf8) + Array("\r\n".utf8)
        #expect(feed(&head, rest, .request) == Int32(rest.count))
        #expect(head.method_off == 0 && head.method_len == 3 && head.field_count == 1)
        #expect(storage[0].value_off == 19 && storage[0].value_len == 1)
    }

    @Test func pipelinedRequestsEndWhereTheNextHeadStarts() {
        let heads = ["GET /v2/ HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD /v2/a/blobs/sha256:1 HTTP/1.1\r\n\r\n", "GET /x HTTP/1.0\r\n\r\n"]
        let stream = Array(heads.joined().utf8)
        var offset = 0
        var targets: [String] = []
        for _ in heads.indices {
            let parsed = parse(Array(stream[offset...]))
            #expect(parsed.result > 0)
            guard parsed.result > 0 else { return }
            targets.append(parsed.target)
            offset += Int(parsed.result)
        }
        #expect(targets == ["/v2/", "/v2/a/blobs/sha256:1", "/x"])
        #expect(offset == stream.count)
    }

    @Test func requestLineAtItsLimitIsAcceptedAndOneBytePastIsTooLong() {
        func request(lineLength: Int) -> String {
            "GET /" + String(repeating: "a", count: lineLength - 14) + " HTTP/1.1\r\n\r\n"
        }
        #expect(parse(request(lineLength: 8192)).target.utf8.count == 8179)
        #expect(parse(request(lineLength: 8193)).refusal == .lineTooLong)
        // Decided at the first byte past the limit, before any CRLF arrives.
        let unterminated = Array(("GET /" + String(repeating: "a", count: 8200)).utf8)
        #expect(parse(Array(unterminated[..<8192])).result == CEP_HTTP_PARTIAL)
        #expect(parse(Array(unterminated[..<8193])).refusal == .lineTooLong)
        #expect(parse(Array(unterminated[..<8193]), prefixLengths: Array(stride(from: 1, to: 8193, by: 97))).refusal == .lineTooLong)
    }

    @Test func headAtItsLimitIsAcceptedAndOneBytePastIsTooLarge() {
        func head(length: Int) -> [UInt8] {
            Array(("GET / HTTP/1.1\r\nX-Fill: " + String(repeating: "a", count: length - 28) + "\r\n\r\n").utf8)
        }
        #expect(parse(head(length: 65536)).result == 65536)
        #expect(parse(head(length: 65537)).refusal == .headTooLarge)
        // Without the final CRLF, a head that already exceeds the limit is refused at once.
        let open = Array(("GET / HTTP/1.1\r\nX-Fill: " + String(repeating: "a", count: 70_000)).utf8)
        #expect(parse(Array(open[..<65536])).result == CEP_HTTP_PARTIAL)
        #expect(parse(Array(open[..<65537]), prefixLengths: [30_000, 65536]).refusal == .headTooLarge)
        let response = "HTTP/1.1 200 " + String(repeating: "r", count: 70_000) + "\r\n\r\n"
        #expect(parse(response, as: .response).refusal == .headTooLarge)
    }

    @Test func responseStatusLineIsNotBoundByTheRequestLineLimit() {
        let response = "HTTP/1.1 200 " + String(repeating: "r", count: 9000) + "\r\n\r\n"
        #expect(parse(response, as: .response).reason.utf8.count == 9000)
    }

    @Test func fieldCountIsBoundByOneHundredAndByTheCallersCapacity() {
        func request(fields: Int) -> String {
            "GET / HTTP/1.1\r\n" + (0..<fields).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        #expect(parse(request(fields: 100), fieldsCapacity: 200).fields.count == 100)
        #expect(parse(request(fields: 101), fieldsCapacity: 200).refusal == .tooManyHeaders)
        #expect(parse(request(fields: 4), fieldsCapacity: 4).fields.count == 4)
        #expect(parse(request(fields: 5), fieldsCapacity: 4).refusal == .tooManyHeaders)
        #expect(parse(request(fields: 0), fieldsCapacity: 0).result > 0)
    }

    @Test(arguments: [
        RefusalCase("Content-Length: 5\r\nTransfer-Encoding: chunked", .badFraming),
        RefusalCase("Transfer-Encoding: chunked\r\nContent-Length: 5", .badFraming),
        RefusalCase("Content-Length: 5\r\nContent-Length: 6", .badFraming),
        RefusalCase("Content-Length: 5, 6", .badFraming),
        RefusalCase("Content-Length: +5", .badFraming),
        RefusalCase("Content-Length: -1", .badFraming),
        RefusalCase("Content-Length: 0x5", .badFraming),
        RefusalCase("Content-Length: 5 5", .badFraming),
        RefusalCase("Content-Length: 5,", .badFraming),
        RefusalCase("Content-Length:", .badFraming),
        RefusalCase("Content-Length: 9223372036854775808", .badFraming),
        RefusalCase("Transfer-Encoding: chunked, gzip", .transferEncoding),
        RefusalCase("Transfer-Encoding: xchunked", .transferEncoding),
        RefusalCase("Transfer-Encoding: gzip", .transferEncoding),
        RefusalCase("Transfer-Encoding: chunked, chunked", .transferEncoding),
        RefusalCase("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", .transferEncoding),
        RefusalCase("X: a\r\n folded", .malformed),
        RefusalCase(" X: leading whitespace", .malformed),
        RefusalCase("Content-Length : 5", .malformed),
        RefusalCase("Content-Length\t: 5", .malformed),
        RefusalCase("X: a\rb", .malformed),
        RefusalCase("X: a\nY: b", .malformed),
        RefusalCase("X: a\0b", .malformed),
        RefusalCase("X: a\u{01}b", .malformed),
        RefusalCase("X: a\u{7F}b", .malformed),
        RefusalCase(": empty name", .malformed),
        RefusalCase("X@Y: 1", .malformed),
        RefusalCase("No colon", .malformed),
    ])
    fileprivate func smugglingAndMalformedFieldsAreRefused(_ test: RefusalCase) {
        #expect(parse("POST /v2/ HTTP/1.1\r\n" + test.head + "\r\n\r\n").refusal == test.refusal)
    }

    @Test(arguments: [
        RefusalCase("GET / HTTP/1.1\n\n", .malformed),
        RefusalCase("GET  / HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("GET / HTTP/1.1 \r\n\r\n", .malformed),
        RefusalCase("GET  HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("GET /a\u{7F} HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("GET /caf\u{E9} HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("G@T / HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("GET / http/1.1\r\n\r\n", .malformed),
        RefusalCase("GET / HTTP/2\r\n\r\n", .malformed),
        RefusalCase("GET /\r\n\r\n", .malformed),
        RefusalCase("\n GET / HTTP/1.1\r\n\r\n", .malformed),
        RefusalCase("GET / HTTP/2.0\r\n\r\n", .version),
        RefusalCase("GET / HTTP/1.2\r\n\r\n", .version),
        RefusalCase("GET / HTTP/0.9\r\n\r\n", .version),
        RefusalCase("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badFraming),
    ])
    fileprivate func malformedRequestLinesAreRefused(_ test: RefusalCase) {
        #expect(parse(test.head).refusal == test.refusal)
    }

    @Test(arguments: [
        ("Content-Length:  5 ", Int64(5)), ("Content-Length: 5, 5", 5), ("Content-Length: 5\r\nContent-Length: 5", 5),
        ("Content-Length: 007", 7), ("Content-Length: 9223372036854775807", Int64.max), ("Content-Length: 0", 0),
    ])
    func validContentLengthsAreFoldedToOneValue(field: String, contentLength: Int64) {
        let parsed = parse("PUT /v2/ HTTP/1.1\r\n" + field + "\r\n\r\n")
        #expect(parsed.contentLength == contentLength && parsed.flags == 0)
    }

    @Test func chunkedTransferCodingIsMatchedCaseInsensitivelyAfterTrimming() {
        let parsed = parse("POST / HTTP/1.1\r\nTransfer-Encoding: \tChunKed \r\n\r\n")
        #expect(parsed.flags == UInt32(CEP_HTTP_F_CHUNKED) && parsed.contentLength == -1)
    }

    @Test func fieldValuesMayHoldHorizontalTabsAndObsText() throws {
        let bytes = Array("GET / HTTP/1.1\r\nX: a\tb\u{E9}\r\n\r\n".utf8)
        let offsets = try #require(parse(bytes).head)
        #expect(Array(bytes[Int(offsets.fields[0][2])...].prefix(Int(offsets.fields[0][3]))) == [0x61, 0x09, 0x62, 0xC3, 0xA9])
    }

    @Test func http10RequestIsAcceptedWithMinorVersionZero() {
        let parsed = parse("GET /v2/ HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
        #expect(parsed.versionMinor == 0 && parsed.method == "GET" && parsed.contentLength == 0)
    }

    @Test func connectionAndExpectTokensSetTheirFlags() {
        let both = parse("GET / HTTP/1.1\r\nConnection: Upgrade, Keep-Alive\r\nConnection: foo ,CLOSE\r\nExpect: 100-Continue\r\n\r\n")
        let flags = CEP_HTTP_F_CONN_KEEPALIVE | CEP_HTTP_F_CONN_CLOSE | CEP_HTTP_F_EXPECT_CONTINUE
        #expect(both.flags == UInt32(flags))
        #expect(parse("GET / HTTP/1.1\r\nConnection: closed, keep-alives\r\nExpect: 100\r\n\r\n").flags == 0)
    }

    @Test func responsesYieldStatusReasonAndFraming() {
        let ok = parse("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n", as: .response)
        #expect(ok.status == 200 && ok.reason == "OK" && ok.contentLength == 1024 && ok.versionMinor == 1)
        let chunked = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", as: .response)
        #expect(chunked.flags == UInt32(CEP_HTTP_F_CHUNKED) && chunked.contentLength == -1)
        let noContent = parse("HTTP/1.1 204 No Content\r\n\r\n", as: .response)
        #expect(noContent.status == 204 && noContent.contentLength == -1)
        let notModified = parse("HTTP/1.0 304 Not Modified\r\nETag: \"x\"\r\n\r\n", as: .response)
        #expect(notModified.status == 304 && notModified.versionMinor == 0 && notModified.contentLength == -1)
    }

    @Test func responseWithoutReasonPhraseIsAccepted() {
        for text in ["HTTP/1.1 200\r\n\r\n", "HTTP/1.1 200 \r\n\r\n"] {
            let parsed = parse(text, as: .response)
            #expect(parsed.result == Int32(text.utf8.count) && parsed.status == 200 && parsed.reason.isEmpty)
        }
    }

    @Test(arguments: [
        RefusalCase("HTTP/1.1 20 OK\r\n\r\n", .malformed),
        RefusalCase("HTTP/1.1 099 Low\r\n\r\n", .malformed),
        RefusalCase("HTTP/1.1 2000 OK\r\n\r\n", .malformed),
        RefusalCase("HTTP/1.1  200 OK\r\n\r\n", .malformed),
        RefusalCase("HTTP/1.1 200 OK\n\r\n", .malformed),
        RefusalCase("\r\nHTTP/1.1 200 OK\r\n\r\n", .malformed),
        RefusalCase("HTTP/2.0 200 OK\r\n\r\n", .version),
        RefusalCase("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .badFraming),
        RefusalCase("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .badFraming),
        RefusalCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .transferEncoding),
    ])
    fileprivate func malformedResponsesAreRefused(_ test: RefusalCase) {
        #expect(parse(test.head, as: .response).refusal == test.refusal)
    }

    @Test func parserRepeatsItsVerdictWhenCalledAgain() {
        var head = cep_http_head()
        cep_http_reset(&head)
        let done = Array("GET / HTTP/1.1\r\n\r\nGET".utf8)
        #expect(feed(&head, done, .request) == 18)
        #expect(feed(&head, done, .request) == 18)
        cep_http_reset(&head)
        let refused = Array("GET / HTTP/1.1 \r\n\r\n".utf8)
        #expect(feed(&head, refused, .request) == CEP_HTTP_INVALID)
        #expect(feed(&head, refused, .request) == CEP_HTTP_INVALID && head.error == CEP_HTTP_ERR_MALFORMED)
    }
}
