import Foundation
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxySystem

/// A crowd of blocking test clients, one thread each, that ask Cistern for the same blob at
/// the same moment: every client connects first, then all are released together, so their
/// requests race into the fill table as a dog-pile does.
///
/// Each client sends `GET <target>` with `Connection: close` (so the end of the body is also
/// the end of the connection, and a cut-short body cannot hide in keep-alive) and reads as
/// its `Behaviour` says. Every wait is bounded by `timeout`. Bodies are reduced to their
/// length and SHA-256 as soon as they are read, so 200 clients of a 4 MiB blob do not all
/// hold their bytes at once.
struct BlobClientCrowd {
    /// How one client reads its response.
    enum Behaviour: Sendable, Equatable {
        /// Reads as fast as bytes arrive, noting when the first body byte came.
        case readsEverything
        /// Reads at about this many bytes per second until `timeout` (a slow client).
        case readsAt(bytesPerSecond: Int)
        /// Sends the request with a 4 KiB receive buffer, then reads nothing until every
        /// `readsEverything` client has finished (or `timeout` passed); then reads the whole
        /// response at full speed, within a fresh `timeout`.
        case stallsUntilOthersFinish
        /// Reads `byteCount` body bytes, then resets the connection (a client that gives up).
        case disconnectsAfter(byteCount: Int)
    }

    /// What one client saw.
    struct Outcome: Sendable {
        /// The behaviour it had.
        var behaviour: Behaviour
        /// The response status, nil when no head arrived.
        var statusCode: Int?
        /// The response's Content-Length, if it had one.
        var declaredLength: Int?
        /// Every header field of the response.
        var headers: [TestHeaderField] = []
        /// How many body bytes arrived.
        var receivedByteCount = 0
        /// `sha256:<hex>` of the body bytes that arrived.
        var receivedDigest = ""
        /// How the response ended: `.complete` only when exactly `declaredLength` bytes
        /// arrived and then the connection closed cleanly.
        var ending: TestHTTPResponse.Ending = .timedOut
        /// From the common release until the first body byte arrived.
        var firstBodyByteAfter: Duration?
        /// From the common release until the client stopped reading.
        var finishedAfter: Duration = .zero
        /// Set when the client could not even connect or send.
        var failure: String?
    }

    /// Cistern's port on 127.0.0.1.
    let port: UInt16
    /// The request target, e.g. `/v2/team/app/blobs/sha256:…`.
    let target: String
    /// Bound on each client's whole exchange, from the release.
    var timeout: Duration = .seconds(30)

    /// Shared between the client threads: who is connected, the release instant, and how
    /// many `readsEverything` clients are still reading.
    private struct Coordination: Sendable {
        var connectedCount = 0
        var releasedAt: ContinuousClock.Instant?
        var fastReadersLeft = 0
    }

    /// Runs one client per behaviour and returns their outcomes in the same order.
    func run(_ behaviours: [Behaviour]) -> [Outcome] {
        let coordination = Locked(Coordination())
        coordination.withLock { $0.fastReadersLeft = behaviours.count { $0 == .readsEverything } }
        let outcomes = Locked([Outcome?](repeating: nil, count: behaviours.count))
        let requestHeaders = [("Connection", "close")]
        let threads = behaviours.enumerated().map { index, behaviour in
            TestThread.start { [port, target, timeout] in
                let outcome = Self.runClient(
                    behaviour, port: port, target: target, headers: requestHeaders, timeout: timeout,
                    coordination: coordination)
                if behaviour == .readsEverything { coordination.withLock { $0.fastReadersLeft -= 1 } }
                outcomes.withLock { $0[index] = outcome }
            }
        }
        // Release everyone once all are connected (or after 20 s, whatever happened).
        let connectDeadline = ContinuousClock.now + .seconds(20)
        while coordination.withLock({ $0.connectedCount }) < behaviours.count, ContinuousClock.now < connectDeadline {
            TestTime.sleep(.milliseconds(2))
        }
        coordination.withLock { $0.releasedAt = .now }
        for thread in threads { thread.join() }
        return outcomes.snapshot.map { $0 ?? Outcome(behaviour: .readsEverything, failure: "no outcome") }
    }

    private static func runClient(
        _ behaviour: Behaviour, port: UInt16, target: String, headers: [(String, String)], timeout: Duration,
        coordination: Locked<Coordination>
    ) -> Outcome {
        var outcome = Outcome(behaviour: behaviour)
        let client: TestHTTPClient
        do {
            client = try TestHTTPClient(port: port, receiveBufferByteCount: behaviour == .stallsUntilOthersFinish ? 4096 : nil)
        } catch {
            coordination.withLock { $0.connectedCount += 1 }
            outcome.failure = "connect: \(error)"
            return outcome
        }
        defer { client.close() }
        coordination.withLock { $0.connectedCount += 1 }
        var releasedAt: ContinuousClock.Instant?
        let waitDeadline = ContinuousClock.now + .seconds(25)
        while releasedAt == nil, ContinuousClock.now < waitDeadline {
            releasedAt = coordination.withLock { $0.releasedAt }
            if releasedAt == nil { TestTime.sleep(.milliseconds(1)) }
        }
        let start = releasedAt ?? .now
        do {
            try client.send("GET", target, headers: headers)
        } catch {
            outcome.failure = "send: \(error)"
            return outcome
        }
        var reader = BodyDigestReader()
        switch behaviour {
        case .readsEverything, .stallsUntilOthersFinish:
            if behaviour == .stallsUntilOthersFinish {
                let stallDeadline = start + timeout
                while coordination.withLock({ $0.fastReadersLeft }) > 0, ContinuousClock.now < stallDeadline {
                    TestTime.sleep(.milliseconds(5))
                }
            }
            // Head plus one body byte, to time the first byte; then the rest until close. A
            // client that stalled gets its whole `timeout` from when it starts reading.
            let readDeadline = ContinuousClock.now + timeout
            let head = client.readResponse(options: .init(timeout: timeout, stopAfterBodyByteCount: 1))
            outcome.record(head)
            reader.add(head.body)
            if head.ending == .stoppedByClient {
                outcome.firstBodyByteAfter = ContinuousClock.now - start
                let rest = client.readRemainingStreaming(timeout: readDeadline - .now) { reader.add($0) }
                outcome.ending = Self.ending(afterClose: rest, received: reader.byteCount, declared: outcome.declaredLength)
            } else {
                outcome.ending = head.ending
            }
        case .readsAt(let bytesPerSecond):
            let response = client.readResponse(options: .init(timeout: timeout, readBytesPerSecond: bytesPerSecond))
            outcome.record(response)
            reader.add(response.body)
            outcome.ending = response.ending
        case .disconnectsAfter(let byteCount):
            let response = client.readResponse(options: .init(timeout: timeout, stopAfterBodyByteCount: byteCount))
            outcome.record(response)
            reader.add(response.body)
            outcome.ending = response.ending
            client.reset()
        }
        outcome.finishedAfter = ContinuousClock.now - start
        outcome.receivedByteCount = reader.byteCount
        outcome.receivedDigest = reader.digest()
        return outcome
    }

    /// The ending of a `Connection: close` response read to the end of the connection.
    private static func ending(afterClose ending: TestHTTPResponse.Ending, received: Int, declared: Int?) -> TestHTTPResponse.Ending {
        guard ending == .complete else { return ending }
        guard let declared else { return .complete }
        if received == declared { return .complete }
        return received < declared ? .closedEarly : .malformed("more body bytes than Content-Length")
    }
}

extension BlobClientCrowd.Outcome {
    /// Copies the head of `response`.
    fileprivate mutating func record(_ response: TestHTTPResponse) {
        statusCode = response.statusCode
        headers = response.headers
        declaredLength = response.header("Content-Length").flatMap { Int($0) }
    }
}

/// Hashes a body as it arrives (OpenSSL through Cistern's `ContentHasher`), keeping only its
/// length, so a crowd of multi-MiB bodies never sits in memory at once.
private struct BodyDigestReader {
    private let hasher = ContentHasher(.sha256)
    private(set) var byteCount = 0

    mutating func add(_ bytes: [UInt8]) {
        hasher.update(bytes)
        byteCount += bytes.count
    }

    func digest() -> String {
        "sha256:" + hasher.finalizeHex()
    }
}

extension TestHTTPClient {
    /// Like `readRemaining`, but hands each piece to `consume` instead of collecting it.
    /// Returns `.complete` for a clean close, else `.reset`, `.timedOut` or `.failed`.
    fileprivate func readRemainingStreaming(timeout: Duration, _ consume: ([UInt8]) -> Void) -> TestHTTPResponse.Ending {
        let deadline = ContinuousClock.now + timeout
        consume(pending)
        pending.removeAll()
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return .timedOut }
            switch socket.receive(maxByteCount: 256 * 1024, timeout: remaining) {
            case .bytes(let more): consume(more)
            case .endOfStream:
                markNotReusable()
                return .complete
            case .reset:
                markNotReusable()
                return .reset
            case .timedOut: return .timedOut
            case .failed(let code):
                markNotReusable()
                return .failed(code)
            }
        }
    }
}
