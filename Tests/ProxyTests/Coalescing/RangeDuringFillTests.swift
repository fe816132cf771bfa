import Foundation
import Testing

extension CoalescingLoad {
    /// Range requests (RFC 9110 section 14) against a blob that is still being filled (issue 3):
    /// a range the fill has already passed is answered at once, a range that reaches the end is
    /// answered as the fill verifies, an unsatisfiable one gets 416 with `bytes */SIZE`, and a
    /// range request on a cold blob still makes Cistern fetch (and commit) the whole blob.
    ///
    /// The blob is 4 MiB throttled to 2 MiB/s: about 2 s of fill to ask questions during.
    @Suite struct RangeDuringFillTests {
        static let blobByteCount = 4 << 20

        @Test func ifRangeWithTheDigestKeepsTheRangeAndAnyOtherValidatorGetsTheWholeBlob() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: 100_000, seed: 602)
            let digest = upstream.addBlob(blob)
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"
            #expect(try TestHTTPClient.fetch(port: cistern.port, path).statusCode == 200)  // now a hit

            let matching = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=10-19"), ("If-Range", "\"\(digest)\"")])
            #expect(matching.statusCode == 206)
            #expect(matching.body == Array(blob[10..<20]))
            // RFC 9110 section 13.1.5: a validator that does not match (another tag, a weak
            // one, a date: blobs have no Last-Modified) means the whole representation.
            for validator in ["\"sha256:\(String(repeating: "0", count: 64))\"", "W/\"\(digest)\"", "Sun, 29 Nov 2026 10:00:00 GMT"] {
                let other = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=10-19"), ("If-Range", validator)])
                #expect(other.statusCode == 200, "If-Range: \(validator)")
                #expect(other.header("Content-Range") == nil, "If-Range: \(validator)")
                #expect(other.body == blob, "If-Range: \(validator)")
            }
            // Two Range lines mean one comma-joined value (RFC 9110 section 5.3): not a single
            // range, so the whole blob, not the last line's range.
            let twoLines = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=0-1"), ("Range", "bytes=5-6")])
            #expect(twoLines.statusCode == 200)
            #expect(twoLines.body == blob)
        }

        @Test func rangesDuringAFillGetTheRightBytesAndTheColdRangeRequestStartsAFullFill() throws {
            let upstream = try FakeUpstream()
            defer { upstream.stop() }
            let blob = PseudoRandomBytes.make(byteCount: Self.blobByteCount, seed: 601)
            let digest = upstream.addBlob(blob)
            upstream.setBehaviour(.throttle(bytesPerSecond: 2 << 20), for: .digest(digest))
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
            defer { cistern.stop() }
            let path = "/v2/team/app/blobs/\(digest)"
            let size = Self.blobByteCount

            // Cold: the first KiB is there long before the fill ends.
            let first = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=0-1023")])
            #expect(first.statusCode == 206)
            #expect(first.isComplete)
            #expect(first.header("Content-Range") == "bytes 0-1023/\(size)")
            #expect(first.header("Content-Length") == "1024")
            #expect(first.body == Array(blob[0..<1024]))
            #expect(first.header("Docker-Content-Digest") == digest)
            #expect(cistern.committedBlobDigests(settled: false).isEmpty, "the first range was answered only after the fill ended")
            if TimingAssertions.areEnabled {
                #expect(first.elapsed < .seconds(1), "first KiB took \(first.elapsed)")
            }

            // Still during the fill: past the end is 416 with the size; the last MiB comes
            // (its final byte once the digest verified) with the right bytes.
            let unsatisfiable = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=\(size)-")])
            #expect(unsatisfiable.statusCode == 416)
            #expect(unsatisfiable.header("Content-Range") == "bytes */\(size)")
            #expect(unsatisfiable.bodyText.contains("errors"))
            #expect(cistern.committedBlobDigests(settled: false).isEmpty, "the 416 was asked after the fill ended")
            let lastMiB = try TestHTTPClient.fetch(
                port: cistern.port, path, headers: [("Range", "bytes=-1048576")], options: .init(timeout: .seconds(15)))
            #expect(lastMiB.statusCode == 206)
            #expect(lastMiB.isComplete)
            #expect(lastMiB.header("Content-Range") == "bytes \(size - 1_048_576)-\(size - 1)/\(size)")
            #expect(ContentDigest.of(lastMiB.body) == ContentDigest.of(blob[(size - 1_048_576)...]))

            // One upstream GET, for the whole blob (no Range sent upstream), and it was committed.
            let blobGets = upstream.requests.filter { $0.method == "GET" && $0.path == path }
            #expect(blobGets.count == 1)
            #expect(blobGets.allSatisfy { $0.header("Range") == nil })
            let deadline = ContinuousClock.now + .seconds(10)
            while !cistern.committedBlobDigests(settled: false).contains(digest), ContinuousClock.now < deadline {
                TestTime.sleep(.milliseconds(20))
            }
            #expect(cistern.committedBlobDigests() == [digest])
            #expect(cistern.temporaryFiles().isEmpty)

            // And a range on the committed blob is a hit with the same bytes.
            let middle = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Range", "bytes=2000000-2000099")])
            #expect(middle.statusCode == 206)
            #expect(middle.body == Array(blob[2_000_000...2_000_099]))
            #expect(upstream.requestCount(method: "GET", path: path) == 1)
        }
    }
}
