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
}
