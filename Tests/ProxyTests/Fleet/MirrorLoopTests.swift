import Foundation
import Testing

/// A ring of mirrors (issue 18 item 2): A's upstream is B and B's upstream is A. Before loop
/// detection such a pair hung until the client gave up (A's flight waited for B, whose request
/// to A joined A's flight). Now the second visit to A is answered 508 LOOP_DETECTED before any
/// flight join, B relays it, A relays it: the client gets 508 at once, and the two nodes log at
/// most four lines naming the request (three access lines and one warning).
@Suite struct MirrorLoopTests {
    @Test func aRingOfTwoMirrorsAnswers508AtOnceWithAtMostFourLogLines() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-loop")
        let (portA, portB) = (try FreePort.loopback(), try FreePort.loopback())
        let a = try CisternProcess(upstream: "http://127.0.0.1:\(portB)", cache: try work.makeSubdirectory("a"), port: portA,
                                   extraArguments: ["--node-id", "mirror-a", "--access-log"])
        let b = try CisternProcess(upstream: "http://127.0.0.1:\(portA)", cache: try work.makeSubdirectory("b"), port: portB,
                                   extraArguments: ["--node-id", "mirror-b", "--access-log"])
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
        // to A, A to B, B to A) and A's one warning. Log lines are written by a writer thread:
        // wait (bounded) for the third access line of the last request before counting.
        let marker = "ring/app/manifests/\(digest)"
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, Self.lines(naming: marker, in: [a, b]).count < 4 {
            try await Task.sleep(for: .milliseconds(20))
        }
        for target in targets {
            let naming = Self.lines(naming: String(target.dropFirst("/v2/".count)), in: [a, b])
            #expect(naming.count <= 4 && naming.count >= 3, "\(target):\n\(naming.joined(separator: "\n"))")
            #expect(naming.filter { $0.contains("loop detected") }.count == 1, "\(target):\n\(naming.joined(separator: "\n"))")
        }
        // No storm: A received each request twice, B once.
        let accessA = Self.lines(naming: "ring/app", in: [a]).filter { !$0.contains("loop detected") }
        let accessB = Self.lines(naming: "ring/app", in: [b])
        #expect(accessA.count == 2 * targets.count, "\(accessA)")
        #expect(accessB.count == targets.count, "\(accessB)")
    }

    /// The stderr lines of `processes` that contain `fragment`.
    private static func lines(naming fragment: String, in processes: [CisternProcess]) -> [String] {
        processes.flatMap { process in
            String(decoding: process.child.standardError(), as: UTF8.self).split(separator: "\n").map(String.init)
        }.filter { $0.contains(fragment) }
    }
}
