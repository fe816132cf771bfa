import Foundation
import Testing

/// A fill survives a dropped upstream connection (issue 12 item 2): it asks for the rest with
/// `Range: bytes=N-(size-1)`, and its waiters keep streaming one uninterrupted 200. A client's
/// own range of such a blob gets exactly its bytes.
///
/// The blob is 4 MiB behind an upstream that ends every response after about 1.2 MB (the
/// issue's 40 MiB layer behind a path cutting every connection at 12 MiB, scaled down).
@Suite struct FillResumeTests {
    static let blobByteCount = 4 << 20
    static let cutByteCount = 1_200_000

    /// The Range fields of the upstream's GETs of `path`, in order (nil: no Range).
    static func rangeFields(_ upstream: FakeUpstream, path: String) -> [String?] {
        upstream.requests.filter { $0.method == "GET" && $0.path == path }.map { $0.header("Range") }
    }

    @Test func twoClientsBehindAnUpstreamThatClosesEveryResponseEarlyEachGetOneWhole200AndTheBlobIsCommitted() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 1201)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 8 << 20), for: .digest(digest))
        upstream.setBehaviour(.closeAfter(bodyByteCount: Self.cutByteCount), for: .digest(digest))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(20))
            .run([.readsEverything, .readsEverything])

        for outcome in outcomes {
            #expect(outcome.statusCode == 200)
            #expect(outcome.declaredLength == Self.blobByteCount)
            #expect(outcome.ending == .complete, "ending \(outcome.ending)")
            #expect(outcome.receivedDigest == digest)
        }
        let last = Self.blobByteCount - 1
        #expect(Self.rangeFields(upstream, path: path) == [
            nil, "bytes=1200000-\(last)", "bytes=2400000-\(last)", "bytes=3600000-\(last)",
        ])
        #expect(cistern.committedBlobDigests() == [digest])
        #expect(cistern.temporaryFiles().isEmpty)
        let metrics = try MetricsScrape(port: cistern.port)
        #expect(metrics.value("cistern_fill_resumes_total") == 3)
        #expect(metrics.value(#"cistern_fills_total{result="committed"}"#) == 1)
    }

    @Test func twoClientsBehindAnUpstreamThatResetsEveryConnectionEachGetOneWhole200() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 1202)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 8 << 20), for: .digest(digest))
        upstream.setBehaviour(.resetAfter(bodyByteCount: Self.cutByteCount), for: .digest(digest))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(20))
            .run([.readsEverything, .readsEverything])

        for outcome in outcomes {
            #expect(outcome.statusCode == 200)
            #expect(outcome.ending == .complete, "ending \(outcome.ending)")
            #expect(outcome.receivedDigest == digest)
        }
        // A reset may discard bytes still in flight, so where each resume starts is not
        // exact; each asks for the rest of the blob, from further on than the one before.
        let ranges = Self.rangeFields(upstream, path: path)
        #expect(ranges.first == .some(nil))
        #expect((4...6).contains(ranges.count), "\(ranges)")
        let starts = ranges.dropFirst().compactMap { field -> Int? in
            guard let field, field.hasPrefix("bytes="), field.hasSuffix("-\(Self.blobByteCount - 1)") else { return nil }
            return Int(field.dropFirst(6).prefix { $0 != "-" })
        }
        #expect(starts.count == ranges.count - 1, "\(ranges)")
        #expect(starts == starts.sorted() && Set(starts).count == starts.count && (starts.first ?? 0) > 0, "\(ranges)")
        #expect(cistern.committedBlobDigests() == [digest])
    }

    @Test func aResumeAnsweredWith200IsReadFromTheStartAndItsFirstBytesDropped() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 1203)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 8 << 20), for: .digest(digest))
        upstream.setBehaviour(.closeAfter(bodyByteCount: 1_500_000), for: .digest(digest), times: 1)
        upstream.setBehaviour(.ignoreRange, for: .digest(digest))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(20))
            .run([.readsEverything, .readsEverything])

        for outcome in outcomes {
            #expect(outcome.statusCode == 200)
            #expect(outcome.ending == .complete, "ending \(outcome.ending)")
            #expect(outcome.receivedDigest == digest)
        }
        #expect(Self.rangeFields(upstream, path: path) == [nil, "bytes=1500000-\(Self.blobByteCount - 1)"])
        #expect(cistern.committedBlobDigests() == [digest])
    }

    @Test func aClientsOwnOpenRangeOfAColdBlobBehindACuttingUpstreamGetsExactlyItsBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 1204)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.closeAfter(bodyByteCount: Self.cutByteCount), for: .digest(digest))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let response = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=3000000-")],
                                                options: .init(timeout: .seconds(20)))

        #expect(response.statusCode == 206)
        #expect(response.isComplete)
        #expect(response.header("Content-Range") == "bytes 3000000-\(Self.blobByteCount - 1)/\(Self.blobByteCount)")
        // Compared by count and digest: a failed comparison of megabyte arrays prints both.
        #expect(response.body.count == Self.blobByteCount - 3_000_000)
        #expect(ContentDigest.of(response.body) == ContentDigest.of(blob[3_000_000...]))
        #expect(cistern.committedBlobDigests() == [digest])
    }
}
