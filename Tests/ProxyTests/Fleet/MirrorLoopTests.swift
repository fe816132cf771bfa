import Foundation
import Testing

/// A ring of mirrors (issue 18 item 2): A's upstream is B and B's upstream is A. Before loop
/// detection such a pair hung until the client gave up (A's flight waited for B, whose request
/// to A joined A's flight). Now B, holding a request whose Via names A, asks its upstream's
/// `/v2/` once, learns from the answer's `Via: 1.1 mirror-a (cistern)` that A stands behind it,
/// and answers 508 LOOP_DETECTED before any flight join; A relays it. The client gets 508 at
/// once, and the two nodes log at most four lines naming the request (here three: two access
/// lines and one warning).
@Suite struct MirrorLoopTests {
    /// Two nodes whose upstreams are each other, with access logs.
    private static func ring(_ work: TemporaryDirectory) throws -> (a: CisternProcess, b: CisternProcess) {
        let (portA, portB) = (try FreePort.loopback(), try FreePort.loopback())
        let a = try CisternProcess(upstream: "http://127.0.0.1:\(portB)", cache: try work.makeSubdirectory("a"), port: portA,
                                   extraArguments: ["--node-id", "mirror-a", "--access-log"])
        let b = try CisternProcess(upstream: "http://127.0.0.1:\(portA)", cache: try work.makeSubdirectory("b"), port: portB,
                                   extraArguments: ["--node-id", "mirror-b", "--access-log"])
        return (a, b)
    }

    @Test func aRingOfTwoMirrorsAnswers508AtOnceWithAtMostFourLogLines() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-loop")
        let (a, b) = try Self.ring(work)
        defer { a.stop(); b.stop() }

        let digest = TestSHA256.digest(Array("a blob nobody has".utf8))
        let targets = ["/v2/ring/app/blobs/\(digest)", "/v2/ring/app/manifests/latest", "/v2/ring/app/manifests/\(digest)"]
        for target in targets {
            let started = ContinuousClock.now
            let response = try await OffPool.run {
                try TestHTTPClient.fetch(port: a.port, target, options: .init(timeout: .seconds(10)))
            }
            let elapsed = ContinuousClock.now - started
            #expect(response.statusCode == 508, "\(target): \(response.bodyText)")
            #expect(OCIErrorDocument(response.body)?.codes == ["LOOP_DETECTED"], "\(target): \(response.bodyText)")
            #expect(elapsed < .seconds(5), "\(target) took \(elapsed)")
        }

        // Each request's lines, across both nodes: one access line per request received (client
        // to A, A to B) and B's one warning. Log lines are written by a writer thread: wait
        // (bounded) for the lines of the last request before counting.
        let marker = "ring/app/manifests/\(digest)"
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, Self.lines(naming: marker, in: [a, b]).count < 3 {
            try await Task.sleep(for: .milliseconds(20))
        }
        for target in targets {
            let naming = Self.lines(naming: String(target.dropFirst("/v2/".count)), in: [a, b])
            #expect(naming.count == 3, "\(target):\n\(naming.joined(separator: "\n"))")
            #expect(naming.filter { $0.contains("loop detected") }.count == 1, "\(target):\n\(naming.joined(separator: "\n"))")
        }
        // No storm: each node received each request once, and B asked A's /v2/ once.
        let accessA = Self.lines(naming: "ring/app", in: [a])
        let accessB = Self.lines(naming: "ring/app", in: [b]).filter { !$0.contains("loop detected") }
        #expect(accessA.count == targets.count, "\(accessA)")
        #expect(accessB.count == targets.count, "\(accessB)")
        #expect(Self.lines(naming: "/v2/ ", in: [a]).count == 1, "\(Self.lines(naming: "/v2/", in: [a]))")
    }

    /// The case own-id detection alone left hanging: clients ask A and B for the same digests at
    /// the same moment, so each node's forwarded request would join the other's flight. Every
    /// request must end in 508 at once, for several digests at a time.
    @Test func clientsAskingBothNodesOfARingAtOnceAllGet508AtOnce() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-loop-both")
        let (a, b) = try Self.ring(work)
        defer { a.stop(); b.stop() }
        let digests = (0..<8).map { TestSHA256.digest(Array("blob \($0) nobody has".utf8)) }
        let started = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: (String, Int?).self) { group in
            for digest in digests {
                for port in [a.port, b.port] {
                    group.addTask {
                        let response = try await OffPool.run {
                            try TestHTTPClient.fetch(port: port, "/v2/ring/app/blobs/\(digest)", options: .init(timeout: .seconds(20)))
                        }
                        return ("\(port) \(digest)", OCIErrorDocument(response.body)?.codes == ["LOOP_DETECTED"] ? response.statusCode : nil)
                    }
                }
            }
            var statuses: [String: Int?] = [:]
            for try await (key, status) in group { statuses[key] = status }
            return statuses
        }
        let elapsed = ContinuousClock.now - started
        #expect(statuses.count == 2 * digests.count)
        #expect(statuses.values.allSatisfy { $0 == 508 }, "\(statuses)")
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    /// The stderr lines of `processes` that contain `fragment`.
    private static func lines(naming fragment: String, in processes: [CisternProcess]) -> [String] {
        processes.flatMap { process in
            String(decoding: process.child.standardError(), as: UTF8.self).split(separator: "\n").map(String.init)
        }.filter { $0.contains(fragment) }
    }
}
