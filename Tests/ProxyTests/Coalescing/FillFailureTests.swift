import Foundation
import Testing

extension CoalescingLoad {
    /// A fill that fails while clients stream from it (issue 3): nobody is handed a
    /// complete-looking body, nothing reaches the store, and the next request starts afresh.
    ///
    /// The blob is 2 MiB throttled to 1 MiB/s, so the 20 clients join while the fill runs and
    /// have their response heads (200, Content-Length) before it fails.
    @Suite struct FillFailureTests {
        static let blobByteCount = 2 << 20
        static let clientCount = 20

        @Test func anUpstreamResetAtHalfwayCutsEveryClientShortCommitsNothingAndTheNextGetRefills() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 401)
            let digest = upstream.addBlob(blob)
            let throttle = upstream.setBehaviour(.throttle(bytesPerSecond: 1 << 20), for: .digest(digest))
            upstream.setBehaviour(.resetAfter(bodyByteCount: Self.blobByteCount / 2), for: .digest(digest), times: 1)
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(15))
                .run(Array(repeating: .readsEverything, count: Self.clientCount))

            #expect(upstream.requestCount(method: "GET", path: path) == 1)
            for outcome in outcomes {
                #expect(outcome.statusCode == 200)
                #expect(outcome.declaredLength == Self.blobByteCount)
                #expect(outcome.receivedByteCount < Self.blobByteCount)
                #expect(outcome.ending == .reset || outcome.ending == .closedEarly, "ending \(outcome.ending)")
            }
            #expect(cistern.committedBlobDigests().isEmpty)
            #expect(cistern.temporaryFiles().isEmpty)
            let metrics = try MetricsScrape(port: cistern.port)
            #expect(metrics.value(#"cistern_fills_total{result="failed"}"#) == 1)

            // The reset was a one-off: the next request starts a fresh fill that completes.
            upstream.removeBehaviour(throttle)
            let retry = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(15)))
            #expect(retry.statusCode == 200 && retry.isComplete)
            #expect(ContentDigest.of(retry.body) == digest)
            #expect(upstream.requestCount(method: "GET", path: path) == 2)
            #expect(cistern.committedBlobDigests() == [digest])
            #expect(cistern.temporaryFiles().isEmpty)
        }

        @Test func wrongBytesFromTheUpstreamNeverReachAClientWhole() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 402)
            let digest = upstream.addBlob(blob)
            let throttle = upstream.setBehaviour(.throttle(bytesPerSecond: 1 << 20), for: .digest(digest))
            // Same length, every byte flipped: only the digest check can tell.
            upstream.setBehaviour(.wrongBytes(), for: .digest(digest), times: 1)
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(15))
                .run(Array(repeating: .readsEverything, count: Self.clientCount))

            #expect(upstream.requestCount(method: "GET", path: path) == 1)
            for outcome in outcomes {
                #expect(outcome.statusCode == 200)
                #expect(outcome.declaredLength == Self.blobByteCount)
                // Everything but the final byte may have been streamed; never the final byte.
                #expect(outcome.receivedByteCount <= Self.blobByteCount - 1)
                #expect(outcome.ending == .reset || outcome.ending == .closedEarly, "ending \(outcome.ending)")
            }
            #expect(cistern.committedBlobDigests().isEmpty)
            #expect(cistern.temporaryFiles().isEmpty)
            let metrics = try MetricsScrape(port: cistern.port)
            #expect(metrics.value("cistern_digest_mismatches_total") == 1)
            #expect(metrics.value(#"cistern_fills_total{result="committed"}"#) == 0)

            upstream.removeBehaviour(throttle)
            let retry = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(15)))
            #expect(retry.statusCode == 200 && retry.isComplete)
            #expect(ContentDigest.of(retry.body) == digest)
            #expect(upstream.requestCount(method: "GET", path: path) == 2)
            #expect(cistern.committedBlobDigests() == [digest])
        }
    }
}
