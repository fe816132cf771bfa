import Testing
@testable import Proxy
@testable import ProxyHTTP
@testable import ProxyRegistry

/// The bytes of a response head: status line, fields in order, the digest
/// fields written from `contentDigest`, then the framing fields.
@Suite struct ResponseHeadTests {
    private let digest = try! Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))

    private func text(_ head: ResponseHead, contentLength: Int64?, keepAlive: Bool) -> String {
        String(decoding: head.serialize(contentLength: contentLength, keepAlive: keepAlive), as: UTF8.self)
    }

    @Test func aContentDigestIsWrittenAsDockerContentDigestAndAQuotedETagBeforeTheLength() {
        let head = ResponseHead(status: 200, fields: [("Content-Type", "application/octet-stream")], contentDigest: digest.halves)
        #expect(text(head, contentLength: 5, keepAlive: true) == """
            HTTP/1.1 200 OK\r
            Content-Type: application/octet-stream\r
            Docker-Content-Digest: \(digest.string)\r
            ETag: "\(digest.string)"\r
            Content-Length: 5\r
            \r

            """)
    }

    /// The statuses a push answers with carry their RFC 9110 phrases (they read "Status").
    @Test func pushStatusesCarryTheirReasonPhrases() {
        #expect(ResponseHead.reasonPhrase(201) == "Created")
        #expect(ResponseHead.reasonPhrase(202) == "Accepted")
        #expect(ResponseHead.reasonPhrase(204) == "No Content")
    }

    @Test func appendingToAReusedBufferGivesTheSameBytesAsANewOne() {
        var head = ResponseHead(status: 206, fields: [("Content-Range", "bytes 0-0/9")], contentDigest: digest.halves)
        head.add("Cache-Control", "max-age=0")
        var reused = Array("left over".utf8)
        reused.removeAll(keepingCapacity: true)
        head.serialize(contentLength: 1, keepAlive: false, appendingTo: &reused)
        #expect(reused == head.serialize(contentLength: 1, keepAlive: false))
        #expect(String(decoding: reused, as: UTF8.self).hasSuffix("Content-Length: 1\r\nConnection: close\r\n\r\n"))
    }

    @Test func carriageReturnsAndLineFeedsInFieldValuesAreDropped() {
        let head = ResponseHead(status: 304, fields: [("ETag", "\"a\r\nX-Injected: 1\"")])
        #expect(text(head, contentLength: nil, keepAlive: true) == "HTTP/1.1 304 Not Modified\r\nETag: \"aX-Injected: 1\"\r\n\r\n")
    }

    /// A head past the stack buffer (`ResponseHead.stackByteCount`) is built in one heap block
    /// with the same bytes, and lengths are written in full, from 0 to the largest 64-bit one.
    @Test func aLargeHeadAndExtremeLengthsAreWrittenWhole() {
        let long = String(repeating: "v", count: 3000)
        let head = ResponseHead(status: 200, fields: [("X-Long", long), ("X-Short", "s")])
        #expect(text(head, contentLength: 0, keepAlive: true) == "HTTP/1.1 200 OK\r\nX-Long: \(long)\r\nX-Short: s\r\nContent-Length: 0\r\n\r\n")
        let max = ResponseHead(status: 200)
        #expect(text(max, contentLength: Int64.max, keepAlive: true) == "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n")
        #expect(text(max, contentLength: 1_000_000_000, keepAlive: true).contains("Content-Length: 1000000000\r\n"))
        #expect(text(ResponseHead(status: 1999), contentLength: nil, keepAlive: false) == "HTTP/1.1 1999 Status\r\nConnection: close\r\n\r\n")
    }
}
