import Foundation
import Testing

extension CoalescingLoad {
    /// A fill that fails while clients stream from it (issue 3): nobody is handed a
    /// complete-looking body, nothing reaches the store, and the next request starts afresh.
    /// (An upstream that drops once is resumed instead: see `FillResumeTests`.)
    ///
    /// The blob is 2 MiB throttled to 1 MiB/s, so the 20 clients join while the fill runs and
    /// have their response heads (200, Content-Length) before it fails.
    @Suite struct FillFailureTests {
        static let blobByteCount = 2 << 20
        static let clientCount = 20

        /// Every upstream response is reset after an eighth of the blob: the first GET and
        /// its five resumes (`FillState.defaultMaximumResumeCount`) bring 6/8 of it, then the
        /// fill gives up the usual way.
        @Test func anUpstreamThatResetsEveryAttemptCutsEveryClientShortAfterFiveResumesCommitsNothingAndTheNextGetRefills() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 401)
            let digest = upstream.addBlob(blob)
            let throttle = upstream.setBehaviour(.throttle(bytesPerSecond: 1 << 20), for: .digest(digest))
            let reset = upstream.setBehaviour(.resetAfter(bodyByteCount: Self.blobByteCount / 8), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(15))
                .run(Array(repeating: .readsEverything, count: Self.clientCount))

            #expect(upstream.requestCount(method: "GET", path: path) == 6)
            // Five resumes, each for the rest of the blob (a reset may discard bytes in flight,
            // so where each starts is not exact).
            let ranges = upstream.requests.filter { $0.path == path }.map { $0.header("Range") }
            let eighth = Self.blobByteCount / 8
            #expect(ranges.first == .some(nil))
            #expect(ranges.dropFirst().allSatisfy { $0?.hasPrefix("bytes=") == true && $0?.hasSuffix("-\(Self.blobByteCount - 1)") == true },
                    "\(ranges)")
            for outcome in outcomes {
                #expect(outcome.statusCode == 200)
                #expect(outcome.declaredLength == Self.blobByteCount)
                #expect(outcome.receivedByteCount <= 6 * eighth)
                #expect(outcome.ending == .reset || outcome.ending == .closedEarly, "ending \(outcome.ending)")
            }
            #expect(cistern.committedBlobDigests().isEmpty)
            #expect(cistern.temporaryFiles().isEmpty)
            let metrics = try MetricsScrape(port: cistern.port)
            #expect(metrics.value(#"cistern_fills_total{result="failed"}"#) == 1)
            #expect(metrics.value("cistern_fill_resumes_total") == 5)

            // The upstream heals: the next request starts a fresh fill that completes.
            upstream.removeBehaviour(throttle)
            upstream.removeBehaviour(reset)
            let retry = try TestHTTPClient.fetch(port: cistern.port, path, options: .init(timeout: .seconds(15)))
            #expect(retry.statusCode == 200 && retry.isComplete)
            #expect(ContentDigest.of(retry.body) == digest)
            #expect(upstream.requestCount(method: "GET", path: path) == 7)
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
