import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

/// The drain's and the reload's effects on connections, driven in process through the
/// server's own steps (`beginDraining`, `closeListeners`, `reload(to:)`) rather than signals:
/// readiness, `Connection: close`, idle connections, refused connections, live client
/// timeouts and the `Reloadable` hook. (The signals themselves: `ProcessDrainTests`,
/// `ProcessReloadTests`.)
@Suite(.serialized) struct ServerDrainAndReloadTests {
    @Test func drainingAnswersReadyz503AndClosesEachConnectionAfterItsResponse() async throws {
        // One loop: once the idle connection is closed, that loop has taken the drain, so the
        // other connection's answer comes after it.
        let cistern = try CisternInstance(upstreams: [("a", "http://127.0.0.1:9")]) { $0.workers = 1 }
        defer { cistern.stop() }
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/readyz").statusCode == 200)
        let idle = try TestHTTPClient(port: cistern.port)
        let first = try idle.request("GET", "/v2/")
        #expect(first.statusCode == 200 && first.header("Connection") == nil)
        let midHead = try TestHTTPClient(port: cistern.port)
        try midHead.sendRaw(Array("GET /healthz HTTP/1.1\r\n".utf8))
        #expect(await ProcessProbes.eventually(within: .seconds(5)) { cistern.server.census.openCount == 2 })

        cistern.server.beginDraining()
        // The idle keep-alive connection is closed; the one with part of a head is answered, then closed.
        let idleEnd = idle.readRemaining(timeout: .seconds(5))
        #expect(idleEnd.bytes.isEmpty && idleEnd.ending == .complete)
        try midHead.sendRaw(Array("Host: 127.0.0.1\r\n\r\n".utf8))
        let answered = midHead.readResponse(options: .init(timeout: .seconds(5)))
        #expect(answered.statusCode == 200 && answered.ending == .complete)
        #expect(answered.header("Connection") == "close")
        #expect(midHead.readRemaining(timeout: .seconds(5)).ending == .complete)
        // New connections are still accepted, told not ready, and closed after the answer.
        let readiness = try TestHTTPClient.fetch(port: cistern.port, "/readyz")
        #expect(readiness.statusCode == 503 && readiness.bodyText == "not ready\n")
        #expect(readiness.header("Connection") == "close")
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/healthz").statusCode == 200, "liveness stays 200")

        cistern.server.closeListeners()
        #expect(ProcessProbes.refusesConnections(port: cistern.port))
        #expect(await ProcessProbes.eventually(within: .seconds(5)) { cistern.server.census.openCount == 0 })
    }

    @Test func aReloadedIdleTimeoutAppliesToTheNextIdleConnection() async throws {
        let cistern = try CisternInstance(upstreams: [("a", "http://127.0.0.1:9")])
        defer { cistern.stop() }
        var configuration = cistern.server.currentConfiguration
        configuration.timeouts.idleKeepAlive = .milliseconds(300)
        configuration.workers = 7  // restart-only: kept
        #expect(cistern.server.reload(to: configuration))
        #expect(cistern.server.currentConfiguration.timeouts.idleKeepAlive == .milliseconds(300))
        #expect(cistern.server.currentConfiguration.workers == 2)

        let client = try TestHTTPClient(port: cistern.port)
        let started = ContinuousClock.now
        // The loops take the reload through their task queues: wait until this connection sees it.
        var closedAfter: Duration?
        while closedAfter == nil, ContinuousClock.now - started < .seconds(10) {
            #expect(try client.request("GET", "/v2/").statusCode == 200)
            let idleStart = ContinuousClock.now
            if client.readRemaining(timeout: .seconds(2)).ending == .complete { closedAfter = ContinuousClock.now - idleStart }
        }
        let closed = try #require(closedAfter, "the idle connection was not closed within the reloaded 300 ms")
        #expect(closed < .seconds(2))
    }

    /// A participant that refuses a reload stops it whole; commits run only when all accept.
    @Test func aReloadableRefusingKeepsTheRunningConfiguration() throws {
        let cistern = try CisternInstance(upstreams: [("a", "http://127.0.0.1:9")])
        defer { cistern.stop() }
        let participant = RecordingReloadable()
        cistern.server.addReloadable(participant)
        var configuration = cistern.server.currentConfiguration
        configuration.tagTTL = .seconds(5)
        participant.refuse.withLock { $0 = true }
        #expect(!cistern.server.reload(to: configuration))
        #expect(cistern.server.currentConfiguration.tagTTL == .seconds(60))
        #expect(cistern.server.shared.tagTTL == 60_000_000_000)
        #expect(participant.committed.withLock { $0 } == [])

        participant.refuse.withLock { $0 = false }
        #expect(cistern.server.reload(to: configuration))
        #expect(cistern.server.currentConfiguration.tagTTL == .seconds(5))
        #expect(cistern.server.shared.tagTTL == 5_000_000_000)
        #expect(participant.committed.withLock { $0 } == [.seconds(5)])

        var invalid = configuration
        invalid.tagTTL = .seconds(-1)
        #expect(!cistern.server.reload(to: invalid))
        #expect(cistern.server.currentConfiguration.tagTTL == .seconds(5))
    }
}

/// Records the tag TTL of each committed reload; refuses while `refuse` is set.
private final class RecordingReloadable: Reloadable {
    struct Refused: Error {}
    let refuse = Locked(false)
    let committed = Locked<[Duration]>([])

    func prepareReload(to configuration: Configuration) throws -> @Sendable () -> Void {
        if refuse.withLock({ $0 }) { throw Refused() }
        let ttl = configuration.tagTTL
        return { [committed] in committed.withLock { $0.append(ttl) } }
    }
}

/// A keep-alive response whose head went out before the drain: its connection closes when the
/// body ends, instead of waiting idle (and holding the drain) until the idle timeout.
@Suite(.serialized) struct DrainKeepAliveTests {
    @Test func aResponseStartedBeforeTheDrainClosesItsConnectionWhenItEnds() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = try ProcessProbes.randomBlob(byteCount: 1 << 20)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 512 << 10), for: .digest(digest), times: 1)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let port = cistern.port
        let path = "/v2/library/data/blobs/\(digest)"
        let exchange = Task {
            try await OffPool.run {
                let client = try TestHTTPClient(port: port)
                let response = try client.request("GET", path, options: .init(timeout: .seconds(20)))
                let rest = client.readRemaining(timeout: .seconds(5))
                return (response, rest.ending, rest.bytes.count)
            }
        }
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { upstream.requestCount(method: "GET", path: path) == 1 })
        cistern.server.beginDraining()
        let (response, ending, extraByteCount) = try await exchange.value
        #expect(response.statusCode == 200 && response.ending == .complete)
        #expect(response.header("Connection") == nil, "the head went out before the drain")
        #expect(TestSHA256.digest(response.body) == digest)
        #expect(ending == .complete && extraByteCount == 0, "the connection stayed open after its response: \(ending)")
    }
}
