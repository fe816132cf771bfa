import Foundation
import Testing

/// Malformed and oversized request heads sent to Cistern as raw bytes (issue 6: "every
/// malformed request ... oversized header gets a clear, spec-shaped error"): each gets its
/// status from RFC 9112 / RFC 9110 with `Connection: close`, then the connection ends, and no
/// request reaches the upstream. A well-formed request on a new connection is still served.
@Suite struct MalformedRequestTests {
    /// One raw head and the status it must get.
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let head: String
        let status: Int
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "request line over 8 KiB", head: "GET /v2/\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414),
        Case(label: "head over 64 KiB", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\n" + (0..<40).map { "X-Pad-\($0): \(String(repeating: "p", count: 2000))\r\n" }.joined() + "\r\n",
             status: 431),
        Case(label: "more than 100 fields", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\n" + (0..<120).map { "X-F\($0): v\r\n" }.joined() + "\r\n", status: 431),
        Case(label: "HTTP/2.0 request line", head: "GET /v2/ HTTP/2.0\r\nHost: x\r\n\r\n", status: 505),
        Case(label: "unknown transfer coding", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501),
        Case(label: "Content-Length with Transfer-Encoding", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
             status: 400),
        Case(label: "two different Content-Lengths", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 400),
        Case(label: "obsolete line folding", head: "GET /v2/ HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", status: 400),
        Case(label: "space before the colon", head: "GET /v2/ HTTP/1.1\r\nHost : x\r\n\r\n", status: 400),
        Case(label: "HTTP/1.1 without Host", head: "GET /v2/ HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
        Case(label: "two Host fields", head: "GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        Case(label: "a Host value with a slash", head: "GET /v2/ HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400),
        Case(label: "a Host value with a space", head: "GET /v2/ HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400),
    ]

    @Test(arguments: cases)
    func aMalformedHeadGetsItsStatusAndTheConnectionCloses(_ testCase: Case) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        let client = try TestHTTPClient(port: cistern.port)
        defer { client.close() }
        // A server may answer and close before reading all of a large head.
        try? client.sendRaw(Array(testCase.head.utf8))
        let response = client.readResponse()
        #expect(response.statusCode == testCase.status, "\(response.statusLine ?? "no response") (\(response.ending))")
        #expect(response.isComplete)
        #expect(response.header("Connection")?.lowercased() == "close")
        client.expectConnectionEndsWithNothingMore()
        #expect(upstream.requests.isEmpty, "a malformed request reached the upstream")

        let good = try TestHTTPClient.fetch(port: cistern.port, "/v2/")
        #expect(good.statusCode == 200)
    }

    @Test func anAbsoluteFormTargetIsServedAsItsPath() throws {
        // RFC 9112 section 3.2.2: a server MUST accept the absolute form (proxies send it).
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 5000, seed: 1600)
        let digest = upstream.addBlob(blob)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let authority = "127.0.0.1:\(cistern.port)"
        let base = try TestHTTPClient.fetch(port: cistern.port, "http://\(authority)/v2/")
        #expect(base.statusCode == 200 && base.bodyText == "{}")
        let blobResponse = try TestHTTPClient.fetch(port: cistern.port, "HTTP://\(authority)/v2/team/app/blobs/\(digest)?ns=\(authority)x")
        #expect(blobResponse.statusCode == 403, "an unknown ns is still refused: \(blobResponse.bodyText)")
        let served = try TestHTTPClient.fetch(port: cistern.port, "http://\(authority)/v2/team/app/blobs/\(digest)")
        #expect(served.statusCode == 200 && ContentDigest.of(served.body) == digest)
        let noPath = try TestHTTPClient.fetch(port: cistern.port, "http://\(authority)")
        #expect(noPath.statusCode == 404 || noPath.statusCode == 400, "\(noPath.statusLine ?? "no response")")
    }

    @Test func anHTTP10RequestWithoutHostIsServed() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let client = try TestHTTPClient(port: cistern.port)
        defer { client.close() }
        try client.sendRaw(Array("GET /v2/ HTTP/1.0\r\n\r\n".utf8))
        let response = client.readResponse()
        #expect(response.statusCode == 200)
        #expect(response.bodyText == "{}")
    }
}
