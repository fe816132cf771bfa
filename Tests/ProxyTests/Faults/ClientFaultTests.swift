import Foundation
import Testing
@testable import Proxy

#if canImport(Glibc)
import Glibc
@testable import ProxyRegistry
#endif

/// Misbehaving clients (issue 6, item 2): each is dealt with on its own connection, within
/// the configured timeouts, without disturbing anyone else.
@Suite struct ClientFaultTests {
    @Test func aSlowlorisHeadIsAnswered408AndClosedAfterTheRequestHeadTimeout() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.timeouts.requestHead = .milliseconds(500) }
        defer { cistern.stop() }

        // A valid head of ~150 bytes, sent one byte per 100 ms: it would take 15 s.
        let head = Array("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: \(String(repeating: "a", count: 100))\r\n\r\n".utf8)
        let client = try TestHTTPClient(port: cistern.port)
        defer { client.close() }
        let start = ContinuousClock.now
        var sentCount = 0
        var answer: TestSocketReceive = .timedOut
        while sentCount < head.count, ContinuousClock.now - start < .seconds(10) {
            if (try? client.sendRaw([head[sentCount]])) == nil { break }
            sentCount += 1
            answer = client.socket.receive(maxByteCount: 4096, timeout: .milliseconds(100))
            if answer != .timedOut { break }
        }
        let elapsed = ContinuousClock.now - start

        #expect(sentCount < head.count, "the whole slow head was accepted")
        switch answer {
        case .bytes(let bytes):
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        case .endOfStream, .reset:
            break  // closed without an answer: also acceptable
        case .timedOut, .failed:
            Issue.record("no 408 and no close: \(answer)")
        }
        if TimingAssertions.areEnabled {
            #expect(elapsed >= .milliseconds(400), "closed after \(elapsed), before the head timeout")
            #expect(elapsed < .seconds(3), "closed only after \(elapsed)")
        }
    }

    @Test func aClientThatNeverReadsALargeHitIsDroppedAfterTheWriteStallWhileAnotherIsServed() throws {
        // 16 MiB: more than the loopback socket buffers hold, so the server must block.
        let blob = PseudoRandomBytes.make(byteCount: 16 << 20, seed: 1300)
        let digest = ContentHasher.digestString(of: blob)
        let cache = try TemporaryDirectory(prefix: "cistern-never-reads")
        try Self.seedCommittedBlob(blob, digest: digest, in: cache.url)
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let path = "/v2/team/app/blobs/\(digest)"
        // Cistern may ask whether this repository holds the seeded blob before serving it.
        upstream.setBehaviour(.status(200, headers: [TestHeaderField("Docker-Content-Digest", digest)]), for: .path(path), method: "HEAD")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cache.url) {
            $0.timeouts.clientWriteStall = .seconds(1)
        }
        defer { cistern.stop() }

        let stalled = try TestHTTPClient(port: cistern.port, receiveBufferByteCount: 4096)
        defer { stalled.close() }
        try stalled.send("GET", path)
        let sentAt = ContinuousClock.now

        let served = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(20)))
        #expect(served.statusCode == 200 && served.isComplete)
        #expect(ContentDigest.of(served.body) == digest)
        if TimingAssertions.areEnabled { #expect(served.elapsed < .seconds(5)) }

        // Without reading, watch for the server's reset (POLLERR / POLLHUP).
        var droppedAfter: Duration?
        while droppedAfter == nil, ContinuousClock.now - sentAt < .seconds(10) {
            var entry = pollfd(fd: stalled.socket.descriptor, events: 0, revents: 0)
            if poll(&entry, 1, 20) > 0, entry.revents & Int16(POLLERR | POLLHUP) != 0 { droppedAfter = ContinuousClock.now - sentAt }
        }
        let dropped = try #require(droppedAfter, "the client that never reads was never dropped")
        if TimingAssertions.areEnabled {
            #expect(dropped >= .milliseconds(900), "dropped after \(dropped), before the write-stall timeout")
            #expect(dropped < .seconds(4), "dropped only after \(dropped)")
        }
        let rest = stalled.readResponse(options: .init(timeout: .seconds(10)))
        #expect(rest.ending == .reset || rest.ending == .closedEarly, "ending \(rest.ending)")
        #expect(rest.body.count < blob.count)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderUpToABadOneWhichGets400AndTheClose() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        let client = try TestHTTPClient(port: cistern.port)
        defer { client.close() }
        let good = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        let bad = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon in this field line\r\n\r\n"
        try client.sendRaw(Array((good + health + bad + good).utf8))

        let first = client.readResponse()
        #expect(first.statusCode == 200 && first.isComplete)
        #expect(first.bodyText == "{}")
        let second = client.readResponse()
        #expect(second.statusCode == 200 && second.isComplete)
        #expect(second.bodyText == "ok\n")
        let third = client.readResponse()
        #expect(third.statusCode == 400)
        #expect(third.isComplete)
        #expect(third.header("Connection")?.lowercased() == "close")
        // The request after the bad one is never answered: the connection ends.
        client.expectConnectionEndsWithNothingMore("after the 400:")
    }

    @Test func aTLSClientHelloOnThePlainPortIsClosedAtOnce() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        let client = try TestHTTPClient(port: cistern.port)
        defer { client.close() }
        // A TLS record header (handshake, TLS 1.0 record version) and the start of a ClientHello.
        let recordAndHandshakeHeader: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00, 0x00, 0xC4, 0x03, 0x03]
        let hello = recordAndHandshakeHeader + PseudoRandomBytes.make(byteCount: 32, seed: 1310)
        let start = ContinuousClock.now
        try client.sendRaw(hello)
        client.expectConnectionEndsWithNothingMore("after a ClientHello:")
        let elapsed = ContinuousClock.now - start
        if TimingAssertions.areEnabled { #expect(elapsed < .milliseconds(500), "closed after \(elapsed)") }
    }

    /// Writes `blob` where Cistern keeps committed blobs (`blobs/sha256/<2 hex>/<hex>`), as a
    /// previous run would have left it.
    static func seedCommittedBlob(_ blob: [UInt8], digest: String, in cache: URL) throws {
        let hex = String(digest.dropFirst("sha256:".count))
        let directory = cache.appendingPathComponent("blobs/sha256/\(hex.prefix(2))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(blob).write(to: directory.appendingPathComponent(hex))
        // The size record a commit writes (a hit refuses a blob without one).
        let sizes = cache.appendingPathComponent("sizes/sha256/\(hex.prefix(2))", isDirectory: true)
        try FileManager.default.createDirectory(at: sizes, withIntermediateDirectories: true)
        try Data(String(blob.count).utf8).write(to: sizes.appendingPathComponent(hex))
    }
}
