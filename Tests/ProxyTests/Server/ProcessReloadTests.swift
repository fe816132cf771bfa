import Foundation
import Glibc
import Testing

/// SIGHUP reloads the `--config` file (issue 14): a file that does not validate is refused
/// with an error naming the key and the old configuration keeps serving; a changed live
/// setting (`tag_ttl`) takes effect, a changed restart-only one is logged as ignored until
/// restart, and a download in flight across both reloads finishes whole.
@Suite(.serialized) struct ProcessReloadTests {
    @Test func sighupAppliesALiveSettingRefusesABrokenFileAndKeepsConnections() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let config = upstream.addBlob(Array(#"{"architecture":"amd64","os":"linux"}"#.utf8))
        let manifest = Array("""
            {"schemaVersion":2,"mediaType":"\(FixtureMediaType.ociManifest)","config":{"mediaType":"\(FixtureMediaType.ociConfig)",\
            "digest":"\(config)","size":36},"layers":[]}
            """.utf8)
        upstream.addManifest(repository: "team/app", tag: "v1", bytes: manifest, mediaType: FixtureMediaType.ociManifest)
        let manifestPath = "/v2/team/app/manifests/v1"
        // 4 MiB at 1 MiB/s: in flight across both reloads.
        let blob = try ProcessProbes.randomBlob(byteCount: 4 << 20)
        let blobDigest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 1 << 20), for: .digest(blobDigest), times: 1)
        let blobPath = "/v2/team/app/blobs/\(blobDigest)"

        let work = try TemporaryDirectory(prefix: "cistern-reload")
        let configFile = work.appending("cistern.yaml")
        try Data("tag_ttl: 1h\n".utf8).write(to: configFile)
        let cistern = try CisternProcess(upstream: upstream.baseURL, cache: work.appending("cache"),
                                         extraArguments: ["--config", configFile.path])
        defer { cistern.stop() }
        let port = cistern.port
        let accept = [("Accept", FixtureMediaType.ociManifest)]
        func fetchManifest() throws -> Int? { try TestHTTPClient.fetch(port: port, manifestPath, headers: accept).statusCode }
        func upstreamManifestRequests() -> Int { upstream.requestCount(path: manifestPath) }

        #expect(try fetchManifest() == 200)
        let afterFirst = upstreamManifestRequests()
        #expect(afterFirst >= 1)
        #expect(try fetchManifest() == 200)
        #expect(upstreamManifestRequests() == afterFirst, "within tag_ttl 1h the tag is served from the cache")

        let download = Task {
            try await OffPool.run { try TestHTTPClient.fetch(port: port, blobPath, options: .init(timeout: .seconds(30))) }
        }
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { upstream.requestCount(method: "GET", path: blobPath) == 1 })

        // A file that does not validate: refused, naming the key; the old settings stay.
        try Data("tag_ttl: soon\nprefetch_concurrency: 2\n".utf8).write(to: configFile)
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(5)) {
            ProcessProbes.standardError(cistern).contains("configuration reload refused; the running configuration stays")
        })
        let refusal = ProcessProbes.standardError(cistern).split(separator: "\n").first { $0.contains("configuration reload refused") }
        #expect(refusal?.contains(" error cistern: ") == true && refusal?.contains("tag_ttl: invalid value") == true, "\(refusal ?? "")")
        #expect(ProcessProbes.readiness(port: port) == 200)
        #expect(try fetchManifest() == 200)
        #expect(upstreamManifestRequests() == afterFirst, "the refused file changed the tag TTL")

        // A valid file: tag_ttl 0 applies at once; prefetch_concurrency waits for a restart.
        try Data("tag_ttl: 0s\nprefetch_concurrency: 2\n".utf8).write(to: configFile)
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(5)) {
            ProcessProbes.standardError(cistern).contains("configuration reloaded applied=tag_ttl")
        }, "\(ProcessProbes.standardError(cistern))")
        let log = ProcessProbes.standardError(cistern)
        #expect(log.contains("applies only after a restart; the running value stays key=prefetch_concurrency"), "\(log)")
        #expect(try fetchManifest() == 200)
        #expect(upstreamManifestRequests() > afterFirst, "with tag_ttl 0 the tag is revalidated")

        let response = try await download.value
        #expect(response.statusCode == 200)
        #expect(response.ending == .complete)
        #expect(TestSHA256.digest(response.body) == blobDigest)
        #expect(cistern.child.isRunning)
        #expect(ProcessProbes.readiness(port: port) == 200)
    }
}
