import Foundation
import Testing

extension CoalescingLoad {
    /// Dog-pile coalescing (issue 3): however many clients ask for a cold blob at once, and
    /// however they read, Cistern fetches it from the upstream once, streams the growing file
    /// to all of them, and commits it even when they go away.
    ///
    /// The blob is 4 MiB throttled to 2 MiB/s at the upstream, so the fill lasts about 2 s and
    /// every client joins it while it runs. Cistern has 2 workers (`CisternInstance`'s
    /// default), and `SO_REUSEPORT` spreads the connections over both loops, so waiters on the
    /// loop that does not own the fill are woken across loops.
    @Suite struct DogPileCoalescingTests {
        static let blobByteCount = 4 << 20
        static let upstreamBytesPerSecond = 2 << 20
        /// How long the fill lasts at the throttled rate.
        static let nominalFillTime = Duration.seconds(Double(blobByteCount) / Double(upstreamBytesPerSecond))

        @Test func twoHundredConcurrentClientsOfAColdBlobShareOneUpstreamGetAndStreamBeforeItEnds() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 301)
            let digest = upstream.addBlob(blob)
            upstream.setBehaviour(.throttle(bytesPerSecond: Self.upstreamBytesPerSecond), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: .seconds(30))
                .run(Array(repeating: .readsEverything, count: 200))

            #expect(upstream.requestCount(method: "GET", path: path) == 1)
            #expect(outcomes.compactMap(\.failure).isEmpty)
            #expect(outcomes.filter { $0.statusCode == 200 }.count == 200)
            #expect(outcomes.filter { $0.ending == .complete }.count == 200)
            #expect(outcomes.filter { $0.receivedByteCount == Self.blobByteCount }.count == 200)
            #expect(Set(outcomes.map(\.receivedDigest)) == [digest])
            #expect(Set(outcomes.compactMap { $0.headers.first(named: "Docker-Content-Digest") }) == [digest])
            #expect(cistern.committedBlobDigests() == [digest])
            #expect(cistern.temporaryFiles().isEmpty)

            // Streaming, not store-and-forward: the median client had its first body byte before
            // the fill was half done. The fill ends when the first client gets its last byte (the
            // last byte waits for the digest check), measured from the release of the crowd.
            let fillEnd = try #require(outcomes.map(\.finishedAfter).min())
            #expect(fillEnd >= Self.nominalFillTime * 0.75, "the throttle did not stretch the fill; the test proves nothing")
            if TimingAssertions.areEnabled {
                let firstBytes = outcomes.compactMap(\.firstBodyByteAfter).sorted()
                try #require(firstBytes.count == 200)
                let median = firstBytes[firstBytes.count / 2]
                #expect(median < fillEnd / 2, "median first body byte after \(median), fill ended after \(fillEnd)")
                #expect(median < Self.nominalFillTime / 2)
            }
        }

        @Test func aStalledReaderAndASlowReaderDoNotDelayTheOtherClients() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 302)
            let digest = upstream.addBlob(blob)
            upstream.setBehaviour(.throttle(bytesPerSecond: Self.upstreamBytesPerSecond), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            // The 10 KiB/s reader gives up after 4 s: long after the others should be done.
            // Under a sanitizer the stalled reader's 4 MiB at full speed can take longer than
            // that, so every client gets 20 s (the slow one still reads under 1/8 of the blob).
            let behaviours: [BlobClientCrowd.Behaviour] =
                [.stallsUntilOthersFinish, .readsAt(bytesPerSecond: 10 * 1024)] + Array(repeating: .readsEverything, count: 30)
            let timeout: Duration = TimingAssertions.areEnabled ? .seconds(4) : .seconds(20)
            let outcomes = BlobClientCrowd(port: cistern.port, target: path, timeout: timeout).run(behaviours)

            #expect(upstream.requestCount(method: "GET", path: path) == 1)
            let fast = outcomes.filter { $0.behaviour == .readsEverything }
            #expect(fast.count == 30)
            #expect(fast.allSatisfy { $0.ending == .complete && $0.receivedDigest == digest })
            if TimingAssertions.areEnabled {
                let slowestFast = try #require(fast.map(\.finishedAfter).max())
                #expect(slowestFast < Self.nominalFillTime + .milliseconds(1500), "slowest fast client took \(slowestFast)")
            }
            // The slow reader was really slow (not finished) and was not dropped: it was still
            // reading when its own timeout ended it.
            let slow = try #require(outcomes.first { $0.behaviour == .readsAt(bytesPerSecond: 10 * 1024) })
            #expect(slow.statusCode == 200)
            #expect(slow.ending == .timedOut)
            #expect(slow.receivedByteCount > 0 && slow.receivedByteCount < Self.blobByteCount / 8)
            // The stalled reader, once it reads, gets the whole blob.
            let stalled = try #require(outcomes.first { $0.behaviour == .stallsUntilOthersFinish })
            #expect(stalled.ending == .complete)
            #expect(stalled.receivedDigest == digest)
            #expect(cistern.committedBlobDigests() == [digest])
        }

        @Test func aClientThatDisconnectsAtTenPercentLeavesACommittedBlobAndTheNextGetIsAHit() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 303)
            let digest = upstream.addBlob(blob)
            upstream.setBehaviour(.throttle(bytesPerSecond: 2 * Self.upstreamBytesPerSecond), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"

            let tenPercent = Self.blobByteCount / 10
            let quitter = BlobClientCrowd(port: cistern.port, target: path).run([.disconnectsAfter(byteCount: tenPercent)])[0]
            #expect(quitter.statusCode == 200)
            #expect(quitter.ending == .stoppedByClient)
            #expect(quitter.receivedByteCount == tenPercent)
            #expect(cistern.committedBlobDigests(settled: false).isEmpty, "the fill should still be running when the client left")

            // The fill runs on without anyone waiting and is committed (bounded poll).
            let deadline = ContinuousClock.now + .seconds(15)
            while !cistern.committedBlobDigests(settled: false).contains(digest), ContinuousClock.now < deadline {
                TestTime.sleep(.milliseconds(20))
            }
            #expect(cistern.committedBlobDigests() == [digest])
            #expect(cistern.temporaryFiles().isEmpty)

            let hit = try TestHTTPClient.fetch(port: cistern.port, path)
            #expect(hit.statusCode == 200 && hit.isComplete)
            #expect(ContentDigest.of(hit.body) == digest)
            #expect(hit.header("Docker-Content-Digest") == digest)
            #expect(upstream.requestCount(method: "GET", path: path) == 1)
        }
    }
}
