import Foundation
import Testing

/// Upstream faults on a cold blob GET (issue 6, item 1), one table row each: the client gets
/// a clear answer (an OCI JSON error with 502/503/504/429 when nothing was sent yet, or a
/// connection closed before its Content-Length), nothing is committed, no temporary file is
/// left, and once the fault is gone the same request succeeds.
///
/// Timeouts are shrunk (`upstreamReadStall` 500 ms, `upstreamConnect` 1 s) so the stalls
/// cost little; each row has its own fake upstream and Cistern, so rows run in parallel.
@Suite struct UpstreamFaultTests {
    static let blobByteCount = 256 * 1024

    @Test(arguments: UpstreamFault.allCases)
    func theClientGetsAClearFailureNothingIsCachedAndTheNextRequestSucceeds(_ fault: UpstreamFault) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let origin = try SwitchableOrigin()
        defer { origin.stop() }
        let seed = UInt64(1000 + UpstreamFault.allCases.firstIndex(of: fault)!)
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: seed)
        let digest = upstream.addBlob(blob)
        try fault.install(on: upstream, origin: origin, blob: blob)
        let cistern = try CisternInstance(upstream: URL(string: fault.needsSwitchableOrigin ? origin.baseURL : upstream.baseURL)!) {
            $0.timeouts.upstreamReadStall = UpstreamFault.readStallTimeout
            $0.timeouts.upstreamConnect = .seconds(1)
        }
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        // The faulty fetch runs on its own thread while other clients are answered: a fault
        // (a stall included) holds no loop. Eight connections, so both loops are asked.
        let failedResponse = Locked<TestHTTPResponse?>(nil)
        let port = cistern.port
        let faulty = TestThread.start {
            let response = try? TestHTTPClient.fetch(port: port, path, options: .init(timeout: .seconds(10)))
            failedResponse.withLock { $0 = response }
        }
        let answerBound: Duration = TimingAssertions.areEnabled ? .seconds(2) : .seconds(30)
        for _ in 0..<8 {
            let health = try TestHTTPClient.fetch(port: cistern.port, "/healthz", options: .init(timeout: answerBound))
            #expect(health.statusCode == 200 && health.isComplete, "a loop did not answer /healthz during the fault: \(health.ending)")
        }
        faulty.join()
        let failed = try #require(failedResponse.withLock { $0 }, "the faulty fetch could not connect")
        Self.expectClearFailure(failed, fault.expectation)
        if fault == .tooManyRequestsWithRetryAfter {
            #expect(failed.header("Retry-After") == "17")
            #expect(UpstreamFault.Expectation.errorCodes(failed) == ["TOOMANYREQUESTS"])
        }
        if fault == .redirectLoop {
            // The first GET plus Cistern's redirect limit, then it gave up.
            #expect(upstream.requestCount(method: "GET", path: path) == 6)
        }
        #expect(cistern.committedBlobDigests().isEmpty)
        Self.expectNoTemporaryFiles(cistern)

        try fault.remove(from: upstream, origin: origin)
        if fault == .tooManyRequestsWithRetryAfter {
            // The 429 is remembered for its 17 s: the next request is refused without asking,
            // with the seconds still to wait (RateLimitTests follows such a window to its end).
            let before = upstream.requestCount(method: "GET", path: path)
            let refused = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(10)))
            #expect(refused.statusCode == 429)
            #expect((1...17).contains(Int(refused.header("Retry-After") ?? "") ?? 0))
            #expect(upstream.requestCount(method: "GET", path: path) == before)
            return
        }
        let recovered = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(10)))
        #expect(recovered.statusCode == 200)
        #expect(recovered.isComplete)
        #expect(ContentDigest.of(recovered.body) == digest)
        #expect(recovered.header("Docker-Content-Digest") == digest)
        #expect(cistern.committedBlobDigests() == [digest])
        Self.expectNoTemporaryFiles(cistern)
    }

    @Test func bytesBeyondContentLengthAreNotPartOfTheBlobAndTheConnectionIsNotReused() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 1100)
        let digest = upstream.addBlob(blob)
        let other = PseudoRandomBytes.make(byteCount: 1000, seed: 1101)
        let otherDigest = upstream.addBlob(other)
        upstream.setBehaviour(.extraBodyBytes(byteCount: 64), for: .digest(digest), times: 1)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        // The declared body is the whole, correct blob: it verifies and is committed.
        let first = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(digest)")
        #expect(first.statusCode == 200 && first.isComplete && ContentDigest.of(first.body) == digest)
        #expect(cistern.committedBlobDigests() == [digest])
        // The garbage after it must not be read as the start of the next response.
        let second = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(otherDigest)")
        #expect(second.statusCode == 200 && second.isComplete && ContentDigest.of(second.body) == otherDigest)
        let connections = upstream.requests.filter { $0.path.contains("/blobs/") }.map(\.connectionIndex)
        #expect(connections.count == 2)
        #expect(Set(connections).count == 2, "the connection that sent extra bytes was reused")
    }

    /// Checks `response` against `expectation`.
    static func expectClearFailure(_ response: TestHTTPResponse, _ expectation: UpstreamFault.Expectation,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let problem = expectation.problem(with: response)
        #expect(problem == nil, "\(problem ?? "")", sourceLocation: sourceLocation)
    }

    /// The temporary directory is empty (polled for up to 2 s: a failed fill's file is
    /// removed on the loop that ran it, which may trail the client's answer).
    static func expectNoTemporaryFiles(_ cistern: CisternInstance, sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = ContinuousClock.now + .seconds(2)
        while !cistern.temporaryFiles().isEmpty, ContinuousClock.now < deadline { TestTime.sleep(.milliseconds(10)) }
        #expect(cistern.temporaryFiles().isEmpty, sourceLocation: sourceLocation)
    }
}
