import Foundation
import Testing

/// Delivery faults: pacing, stalls, early ends, framing errors.
extension FakeUpstreamSelfTests {
    @Test("throttle paces the body at about the set rate")
    func throttlePacesBody() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.throttle(bytesPerSecond: 10_000), for: .digest(digest))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(response.body == Self.blobBytes && response.isComplete)
        // 5000 bytes at 10 000 B/s: the last slice is due at 0.5 s.
        #expect(response.elapsed >= .milliseconds(450))
        if TimingAssertions.areEnabled {
            #expect(response.elapsed < .seconds(3))
        }
    }

    @Test("resetAfter sends exactly K body bytes, then a TCP RST")
    func resetAfterBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.resetAfter(bodyByteCount: 1000), for: .route(.blob), times: 1)
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(response.statusCode == 200)
        #expect(response.ending == .reset)
        #expect(response.body == Array(Self.blobBytes[0..<1000]))
        // Used up after one request: the next one is whole.
        let retry = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(retry.body == Self.blobBytes && retry.isComplete)
    }

    @Test("closeAfter ends the body early with a clean close (body shorter than Content-Length)")
    func closeAfterBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.closeAfter(bodyByteCount: 1234), for: .route(.blob))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(response.header("Content-Length") == "5000")
        #expect(response.ending == .closedEarly)
        #expect(response.body == Array(Self.blobBytes[0..<1234]))
    }

    @Test("extraBodyBytes sends bytes beyond Content-Length that corrupt the next response")
    func extraBodyBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.extraBodyBytes(byteCount: 5), for: .route(.blob))
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        let response = try client.request("GET", "/v2/a/blobs/\(digest)")
        #expect(response.body == Self.blobBytes && response.isComplete)
        let next = try client.request("GET", "/v2/")
        #expect(next.ending == .malformed("status line"))
        #expect(next.statusLine == "XXXXXHTTP/1.1 200 OK")
    }

    @Test("stallAfterHeaders sends the head, then nothing for the stall, then the body")
    func stallAfterHeaders() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.stallAfterHeaders(.milliseconds(1500)), for: .digest(digest))
        // Generous margins: the head must beat the stall even on a loaded machine.
        let impatient = try TestHTTPClient.fetch(
            port: upstream.port, "/v2/a/blobs/\(digest)", options: .init(timeout: .milliseconds(750)))
        #expect(impatient.statusCode == 200)
        #expect(impatient.ending == .timedOut)
        #expect(impatient.body.isEmpty)
        let patient = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(patient.body == Self.blobBytes && patient.isComplete)
        #expect(patient.elapsed >= .milliseconds(1450))
        let timeToFirstByte = try #require(patient.timeToFirstByte)
        if TimingAssertions.areEnabled {
            #expect(timeToFirstByte < .milliseconds(1200))
        }
    }

    @Test("stall after K body bytes pauses mid-body")
    func stallMidBody() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.stall(afterBodyByteCount: 100, duration: .seconds(5)), for: .route(.blob))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)", options: .init(timeout: .milliseconds(750)))
        #expect(response.ending == .timedOut)
        #expect(response.body == Array(Self.blobBytes[0..<100]))
    }

    @Test("delayBeforeHeaders holds back the first byte")
    func delayBeforeHeaders() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(.delayBeforeHeaders(.milliseconds(400)), for: .path("/v2/"))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(response.statusCode == 200)
        #expect(try #require(response.timeToFirstByte) >= .milliseconds(350))
    }

    @Test("chunked sends a correct chunked body without Content-Length")
    func chunkedBody() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.chunked(chunkByteCount: 1500), for: .route(.blob))
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        let response = try client.request("GET", "/v2/a/blobs/\(digest)")
        #expect(response.framing == TestHTTPResponse.Framing.chunked)
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.header("Content-Length") == nil)
        #expect(response.body == Self.blobBytes && response.isComplete)
        #expect(client.canReuseConnection)
        #expect(try client.request("GET", "/v2/").statusCode == 200, "the connection stays in step")
    }

    @Test("chunked with a malformed size sends one good chunk, then a non-hex size line")
    func malformedChunkSize() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.chunked(chunkByteCount: 1500, malformedSize: true), for: .route(.blob))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(response.ending == .malformed("chunk size"))
        #expect(response.body == Array(Self.blobBytes[0..<1500]))
    }

    @Test("malformedStatusLine replaces the status line")
    func malformedStatusLine() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(.malformedStatusLine("HTTP/1.1 2OO OK"))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(response.statusLine == "HTTP/1.1 2OO OK")
        #expect(response.statusCode == nil)
        #expect(response.ending == .malformed("status line"))
    }

    @Test("giantHeader adds a 100 KiB field")
    func giantHeader() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.setBehaviour(.giantHeader(byteCount: 100 * 1024))
        let response = try TestHTTPClient.fetch(port: upstream.port, "/v2/")
        #expect(response.header("X-Fake-Padding") == String(repeating: "a", count: 100 * 1024))
        #expect(response.headByteCount > 100 * 1024)
        #expect(response.bodyText == "{}")
    }

    @Test("the client reads slowly at its set rate and can stop after K body bytes")
    func clientSlowReadAndStop() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let slow = try TestHTTPClient.fetch(
            port: upstream.port, "/v2/a/blobs/\(digest)", options: .init(readBytesPerSecond: 10_000))
        #expect(slow.body == Self.blobBytes && slow.isComplete)
        #expect(slow.elapsed >= .milliseconds(450), "5000+ bytes at 10 000 B/s")
        let stopped = try TestHTTPClient.fetch(
            port: upstream.port, "/v2/a/blobs/\(digest)", options: .init(stopAfterBodyByteCount: 777))
        #expect(stopped.ending == .stoppedByClient)
        #expect(stopped.body == Array(Self.blobBytes[0..<777]))
    }
}
