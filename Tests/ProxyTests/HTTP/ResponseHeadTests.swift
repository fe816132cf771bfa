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

/// `serialize` gives the bytes the field-by-field appends gave before the head was written
/// into a buffer sized by an upper bound: statuses without a phrase, empty, long, non-ASCII
/// and CR/LF-carrying values, heads past the stack buffer, the largest lengths.
@Suite struct ResponseHeadBoundTests {
    /// The serialization before `HeadBytesWriter` (98b96a4), byte for byte.
    static func reference(_ head: ResponseHead, contentLength: Int64?, keepAlive: Bool) -> [UInt8] {
        var out = Array("HTTP/1.1 \(head.status) \(ResponseHead.reasonPhrase(head.status))\r\n".utf8)
        for field in head.fields {
            out += Array(field.name.utf8) + Array(": ".utf8)
            out += field.value.utf8.filter { $0 != 0x0D && $0 != 0x0A }
            out += Array("\r\n".utf8)
        }
        if let digest = head.contentDigest {
            out += Array("Docker-Content-Digest: \(digest.algorithm):\(digest.hex)\r\nETag: \"\(digest.algorithm):\(digest.hex)\"\r\n".utf8)
        }
        if let contentLength { out += Array("Content-Length: \(contentLength)\r\n".utf8) }
        if !keepAlive { out += Array("Connection: close\r\n".utf8) }
        return out + Array("\r\n".utf8)
    }

    @Test func theBytesMatchTheFieldByFieldSerialization() {
        let values = ["", "x", "\r\n", "a\rb\nc", String(repeating: "é", count: 700), "🙂\u{0}\t", String(repeating: "v", count: 5000),
                      "\r\r\r\r\n\n\n"]
        let statuses = [0, 1, 99, 100, 200, 304, 599, 999, 1000, 12345, Int(Int32.max)]
        let lengths: [Int64?] = [nil, 0, 9, 10, 99, 1_000_000_000, Int64.max]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<400 {
            var head = ResponseHead(status: statuses[round % statuses.count])
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                head.add(values.randomElement(using: &rng)!, values.randomElement(using: &rng)!)
            }
            if Bool.random(using: &rng) {
                head.contentDigest = (values.randomElement(using: &rng)!, String(repeating: "f", count: Int.random(in: 0...600, using: &rng)))
            }
            let length = lengths[round % lengths.count]
            let keepAlive = round % 3 != 0
            var appended = Array("prefix".utf8)
            head.serialize(contentLength: length, keepAlive: keepAlive, appendingTo: &appended)
            let expected = Self.reference(head, contentLength: length, keepAlive: keepAlive)
            #expect(appended == Array("prefix".utf8) + expected)
            #expect(head.serialize(contentLength: length, keepAlive: keepAlive) == expected)
        }
    }
}
