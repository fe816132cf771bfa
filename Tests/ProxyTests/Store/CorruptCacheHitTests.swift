import Foundation
import Testing

/// Cache integrity on hits, end to end (issue 10 item 3): a committed blob whose file was
/// truncated or emptied behind Cistern's back is never served as a complete 200; it is moved
/// aside, counted, and filled again, so the client gets the right bytes. A manifest whose file
/// no longer matches its digest is refetched the same way.
@Suite struct CorruptCacheHitTests {
    @Test(arguments: [0, 5000])
    func aTruncatedBlobIsMovedAsideAndFilledAgain(_ truncatedSize: Int) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 10_000, seed: 41)
        let digest = upstream.addBlob(blob)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"
        #expect(try TestHTTPClient.fetch(port: cistern.port, path).body == blob)
        cistern.waitForFillsToSettle()  // the verdict comes before the commit; the file comes with it
        #expect(try TestHTTPClient.fetch(port: cistern.port, path).body == blob)  // a hit: the descriptor is cached
        let hex = digest.dropFirst("sha256:".count)
        let file = cistern.cacheDirectory.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)").path
        #expect(truncate(file, off_t(truncatedSize)) == 0)

        for method in ["HEAD", "GET"] {
            let response = try TestHTTPClient.fetch(port: cistern.port, method: method, path)
            #expect(response.statusCode == 200, "\(method)")
            #expect(response.header("Content-Length") == "10000", "\(method)")
            if method == "GET" { #expect(response.body == blob) }
        }
        #expect(upstream.requestCount(method: "GET", path: path) == 2)
        cistern.waitForFillsToSettle()
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(blob))
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: cistern.cacheDirectory.appendingPathComponent("quarantine").path)
        #expect(quarantined.count == 1 && quarantined[0].hasPrefix(String(hex)), "\(quarantined)")
        #expect(try MetricsScrape(port: cistern.port).value("cistern_corrupt_content_total") == 1)
    }

    @Test func aManifestAlteredOnDiskIsFetchedAgainAfterARestart() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}"#.utf8)
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        let cache = try TemporaryDirectory(prefix: "cistern-corrupt")
        let target = "/v2/team/app/manifests/\(digest)"
        do {
            let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cache.url)
            #expect(try TestHTTPClient.fetch(port: cistern.port, target).body == bytes)
            cistern.stop()
        }
        let hex = digest.dropFirst("sha256:".count)
        let file = cache.url.appendingPathComponent("manifests/sha256/\(hex.prefix(2))/\(hex)")
        var onDisk = try Data(contentsOf: file)
        onDisk[onDisk.count - 3] = UInt8(ascii: " ")
        try onDisk.write(to: file)

        let restarted = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cache.url)
        defer { restarted.stop() }
        let response = try TestHTTPClient.fetch(port: restarted.port, target)
        #expect(response.statusCode == 200)
        #expect(response.body == bytes)
        #expect(upstream.requestCount(method: "GET", path: target) == 2)
        #expect(try MetricsScrape(port: restarted.port).value("cistern_corrupt_content_total") == 1)
    }
}
