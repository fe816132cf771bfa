import Foundation
import Testing

/// A fill whose bytes verified but could not be committed (rename or fsync refused: a
/// directory of the cache that is not writable, a disk that filled up at the last moment).
/// The client asked for a blob the upstream sent whole and correct; that the cache could not
/// keep it is the operator's problem (logged), not the client's. Found by a breaker session:
/// the client got 500 `cache unavailable`, on every retry, each one downloading the blob again.
@Suite struct CommitFailureTests {
    @Test func aVerifiedBlobThatCannotBeCommittedIsStillServedWhole() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 300_000, seed: 1011)
        let digest = upstream.addBlob(blob)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        // The blob's fan-out directory is a file: mkdir and rename into it fail (as root too,
        // where a chmod 000 directory would not).
        let hex = digest.dropFirst("sha256:".count)
        let fanOut = cistern.cacheDirectory.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: fanOut, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: fanOut.appendingPathComponent(String(hex.prefix(2))).path, contents: Data()))

        for attempt in 1...2 {
            let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(digest)")
            #expect(response.statusCode == 200, "attempt \(attempt): \(response.bodyText.prefix(200))")
            #expect(response.isComplete)
            #expect(TestSHA256.digest(response.body) == digest)
        }
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.temporaryFiles().isEmpty)
    }
}
