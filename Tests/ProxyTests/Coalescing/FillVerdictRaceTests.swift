import Foundation
import Testing

/// Requests that join a failing fill on the other loop at the worst moment (found by a
/// breaker run with two workers): the fill's head has just been published, its verdict is
/// about to be. Each test hammers one digest from four threads, a new connection per request
/// so `SO_REUSEPORT` spreads them over both loops, for a bounded count and time.
///
/// Whatever the timing, no client may get a complete 200 (a complete-looking wrong body),
/// every request must be answered (a joiner that missed the verdict's wake-up would wait
/// forever: nothing else ends a wait on a fill), and every connection must close.
extension CoalescingLoad {
    @Suite struct FillVerdictRaceTests {
        static let threadCount = 4
        static let requestsPerThread = 150
        static let timeBudget = Duration.seconds(4)

        @Test(arguments: [
            ("an empty body for a non-empty digest", [UInt8]()),
            ("other bytes of the same length", PseudoRandomBytes.make(byteCount: 1000, seed: 1501)),
        ])
        func aFailingFillNeverGivesAJoinerACompleteResponseOrLeavesItWaiting(_ label: String, _ served: [UInt8]) throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: 1000, seed: 1500)
            let digest = upstream.addBlob(blob)
            upstream.setBehaviour(.wrongBytes(replacement: served), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let port = cistern.port
            let path = "/v2/team/app/blobs/\(digest)"

            struct Tally: Sendable {
                var answered = 0
                var completeOK: [String] = []
                var unanswered = 0
            }
            let tally = Locked(Tally())
            let deadline = ContinuousClock.now + Self.timeBudget
            let threads = (0..<Self.threadCount).map { _ in
                TestThread.start {
                    for _ in 0..<Self.requestsPerThread where ContinuousClock.now < deadline {
                        guard let response = try? TestHTTPClient.fetch(port: port, path, options: .init(timeout: .seconds(15))) else {
                            continue
                        }
                        tally.withLock { tally in
                            if response.ending == .timedOut {
                                tally.unanswered += 1
                            } else if response.statusCode == 200 && response.isComplete {
                                tally.completeOK.append("\(response.body.count) bytes after " + response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; "))
                            } else {
                                tally.answered += 1
                            }
                        }
                    }
                }
            }
            threads.forEach { $0.join() }

            let result = tally.withLock { $0 }
            #expect(result.answered > 0, "\(label): no request was answered at all")
            #expect(result.completeOK.isEmpty, "\(label): \(result.completeOK.count) complete 200s, e.g. \(result.completeOK.prefix(3))")
            #expect(result.unanswered == 0, "\(label): \(result.unanswered) requests never answered")
            #expect(cistern.committedBlobDigests().isEmpty)
            // Every connection closed (the scrape's own is the one still open).
            let settle = ContinuousClock.now + .seconds(5)
            var open = try MetricsScrape(port: port).value("cistern_connections_open")
            while open != 1, ContinuousClock.now < settle {
                TestTime.sleep(.milliseconds(20))
                open = try MetricsScrape(port: port).value("cistern_connections_open")
            }
            #expect(open == 1, "\(label): connections still open")
        }

        @Test func theEmptyBlobIsAnsweredCompleteToEveryJoinerOnceVerified() throws {
            // sha256 of zero bytes: the one blob whose Content-Length 0 is right. Joiners wait
            // for the verdict (see BlobResponder.attach) and then all get it.
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let digest = upstream.addBlob([])
            #expect(digest == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            upstream.setBehaviour(.delayBeforeHeaders(.milliseconds(300)), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let port = cistern.port
            let path = "/v2/team/app/blobs/\(digest)"

            let outcomes = Locked<[String]>([])
            let threads = (0..<Self.threadCount).map { _ in
                TestThread.start {
                    let response = try? TestHTTPClient.fetch(port: port, path, options: .init(timeout: .seconds(15)))
                    let outcome = response.map { "\($0.statusCode ?? 0) \($0.ending) \($0.header("Content-Length") ?? "-") \($0.body.count)" }
                    outcomes.withLock { $0.append(outcome ?? "no connection") }
                }
            }
            threads.forEach { $0.join() }
            #expect(outcomes.withLock { $0 } == Array(repeating: "200 complete 0 0", count: Self.threadCount))
            #expect(upstream.requestCount(method: "GET", path: path) == 1)
            #expect(cistern.committedBlobDigests() == [digest])
        }
    }
}
