import Foundation
import Glibc
import Testing

/// Three Cistern nodes behind HAProxy running `deploy/haproxy.cfg`, pulling through Debian's
/// docker-registry (issue 18 item 4): the fleet fetches each blob from the upstream once, and a
/// lost node costs only its share.
@Suite struct FleetPullTests {
    /// Three images of three small layers each, pushed as `fleet/app<i>:v1`.
    private static func seededImages(_ registry: RegistryProcess, in work: TemporaryDirectory) async throws -> [(repository: String, image: BuiltImage)] {
        var images: [(String, BuiltImage)] = []
        for index in 0..<3 {
            let image = try await ImageBuilder(directory: work.url).image(
                name: "fleet-\(index)", layers: [.file(byteCount: 8 * 1024), .file(byteCount: 48 * 1024), .file(byteCount: 96 * 1024)],
                seed: 1800 + UInt64(index))
            try await RegistrySeeder(registry: registry).push(image, repository: "fleet/app\(index)", tag: "v1")
            images.append(("fleet/app\(index)", image))
        }
        return images
    }

    /// `count` concurrent blob GETs through `port`, cycling over `blobs`; each body's digest is
    /// checked. Returns the failures (empty when every GET answered 200 with the right bytes).
    ///
    /// With `cutRetries`, a transfer cut short (the connection closed or reset before the whole
    /// body) is retried once, as docker and containerd retry a layer download, and counted
    /// there: a node killed mid-response cuts what it was sending, and HAProxy cannot replay
    /// a response already under way. A complete response with wrong bytes is never retried.
    private static func blobCrowd(port: UInt16, blobs: [(repository: String, digest: String)], count: Int,
                                  completed: Locked<Int>? = nil, cutRetries: Locked<[String]>? = nil) async throws -> [String] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<count {
                let (repository, digest) = blobs[index % blobs.count]
                group.addTask {
                    let fetch = {
                        try await OffPool.run {
                            try TestHTTPClient.fetch(port: port, "/v2/\(repository)/blobs/\(digest)", options: .init(timeout: .seconds(60)))
                        }
                    }
                    var response = try await fetch()
                    if let cutRetries, response.ending == .closedEarly || response.ending == .reset {
                        cutRetries.withLock { $0.append(digest) }
                        response = try await fetch()
                    }
                    completed?.withLock { $0 += 1 }
                    guard response.statusCode == 200, response.ending == .complete else {
                        return "\(digest): status \(response.statusCode.map(String.init) ?? "none"), \(response.ending) \(response.bodyText)"
                    }
                    let actual = TestSHA256.digest(response.body)
                    return actual == digest ? nil : "\(digest): body hashes to \(actual)"
                }
            }
            var failures: [String] = []
            for try await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
    }

    /// Three concurrent skopeo pulls through `hostAndPort`, each verified against its image.
    private static func skopeoPulls(_ images: [(repository: String, image: BuiltImage)], hostAndPort: String,
                                    work: TemporaryDirectory, round: String) async throws {
        let skopeo = {
            var skopeo = Skopeo()
            skopeo.timeout = .seconds(120)
            return skopeo
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (repository, image) in images {
                let destination = work.appending("\(round)-\(repository.replacingOccurrences(of: "/", with: "-"))")
                group.addTask {
                    try await skopeo.copy("\(hostAndPort)/\(repository):v1", to: destination)
                    let verified = try await Skopeo.verifyDirectory(destination)
                    let manifest = try #require(image.manifests.first)
                    #expect(verified.manifestDigest == image.root.digest)
                    #expect(verified.verifiedDigests == [manifest.config.digest] + manifest.layers.map(\.digest))
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits (bounded) until the nodes' caches together hold `digests`; returns each node's set.
    private static func settledOwnership(_ fleet: CisternFleet, holding digests: Set<String>) async throws -> [Set<String>] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let held = fleet.caches.indices.map { fleet.committedBlobDigests(node: $0) }
            if digests.isSubset(of: held.reduce(into: Set<String>()) { $0.formUnion($1) }) || ContinuousClock.now > deadline { return held }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func coldCrowdAndSkopeoPullsThroughHAProxyFetchEachBlobOnceAndEachHasOneOwner() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-fleet-cold")
        let registry = try await RegistryProcess.start()
        let images = try await Self.seededImages(registry, in: work)
        try await registry.resetRequestLog()
        let fleet = try CisternFleet(upstream: registry.baseURL.absoluteString)
        let blobs: [(repository: String, digest: String)] = images.flatMap { repository, image in image.blobs.map { (repository, $0.digest) } }

        async let crowd = Self.blobCrowd(port: fleet.haproxy.port, blobs: blobs, count: 100)
        async let pulls: Void = Self.skopeoPulls(images, hostAndPort: fleet.hostAndPort, work: work, round: "cold")
        let failures = try await crowd
        try await pulls
        #expect(failures.isEmpty, "\(failures)")

        let requests = try await registry.requests()
        for (_, digest) in blobs {
            let gets = requests.filter { $0.method == "GET" && $0.path.hasSuffix("/blobs/\(digest)") }.count
            #expect(gets == 1, "\(digest) was fetched from the upstream \(gets) times")
        }
        // Hashing on the digest: each blob is cached on exactly one node.
        let held = try await Self.settledOwnership(fleet, holding: Set(blobs.map(\.digest)))
        for (_, digest) in blobs {
            #expect(held.filter { $0.contains(digest) }.count == 1, "\(digest) is on \(held.filter { $0.contains(digest) }.count) nodes")
        }
    }

    @Test func aNodeKilledMidRunCostsOnlyItsShare() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-fleet-kill")
        let registry = try await RegistryProcess.start()
        let images = try await Self.seededImages(registry, in: work)
        let fleet = try CisternFleet(upstream: registry.baseURL.absoluteString)
        let blobs: [(repository: String, digest: String)] = images.flatMap { repository, image in image.blobs.map { (repository, $0.digest) } }
        try await Self.skopeoPulls(images, hostAndPort: fleet.hostAndPort, work: work, round: "warm")
        let held = try await Self.settledOwnership(fleet, holding: Set(blobs.map(\.digest)))
        let victim = try #require(held.indices.max { held[$0].count < held[$1].count })
        let victimsShare = held[victim].subtracting(held.enumerated().filter { $0.offset != victim }.flatMap(\.element))
        #expect(!victimsShare.isEmpty)
        try await registry.resetRequestLog()

        // A crowd runs while the node with the largest share is killed (SIGKILL, no drain) once a
        // tenth of it has its answer; then, before HAProxy's health check can have noticed, a
        // second crowd and three skopeo pulls. HAProxy retries a refused connection elsewhere.
        let completed = Locked(0)
        let cutRetries = Locked<[String]>([])
        async let firstCrowd = Self.blobCrowd(port: fleet.haproxy.port, blobs: blobs, count: 100, completed: completed, cutRetries: cutRetries)
        let deadline = ContinuousClock.now + .seconds(30)
        while completed.withLock({ $0 }) < 10, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        fleet.nodes[victim].child.send(signal: SIGKILL)
        let firstFailures = try await firstCrowd
        async let secondCrowd = Self.blobCrowd(port: fleet.haproxy.port, blobs: blobs, count: 100)
        async let pulls: Void = Self.skopeoPulls(images, hostAndPort: fleet.hostAndPort, work: work, round: "rerun")
        let failures = try await secondCrowd
        try await pulls
        #expect(firstFailures.isEmpty, "\(firstFailures)")
        #expect(failures.isEmpty, "\(failures)")
        // Only responses under way on the victim at the kill were cut, so only blobs it owned.
        let retried = Set(cutRetries.withLock { $0 })
        #expect(retried.isSubset(of: held[victim]), "retried \(retried), the victim held \(held[victim])")

        // The re-pull fetched from the upstream only what the dead node held: once each, or twice
        // when a retry sent in the seconds before the health check marked the node down went to
        // another node than the one its digests move to on the ring once it is marked down.
        let refetched = try await registry.requests().filter { $0.method == "GET" && $0.path.contains("/blobs/") }
        let refetchedDigests = Set(refetched.map { String($0.path.split(separator: "/").last ?? "") })
        #expect(refetchedDigests == victimsShare, "refetched \(refetchedDigests), the dead node's share \(victimsShare), held \(held)")
        for digest in refetchedDigests {
            let count = refetched.filter { $0.path.hasSuffix(digest) }.count
            #expect(count <= 2, "\(digest) was fetched \(count) times")
        }
    }

    @Test func edgeRegionalUpstreamTiersAndARepeatOnANewEdgeIsServedByTheRegional() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-tiers")
        let registry = try await RegistryProcess.start()
        let images = try await Self.seededImages(registry, in: work)
        let images01 = Array(images.prefix(2))
        try await registry.resetRequestLog()

        // The regional mirrors two registries; its default is a dead one, so only the edge's
        // ?ns=fixture.example reaches the real upstream.
        let dead = try ClosedLoopbackPort()
        let regionalFile = work.url.appendingPathComponent("regional.yml")
        try """
            trusted_proxies: [127.0.0.1]
            upstreams:
              - name: dead.example
                url: http://\(dead.hostAndPort)
              - name: fixture.example
                url: \(registry.baseURL.absoluteString)
            """.write(to: regionalFile, atomically: true, encoding: .utf8)
        let regional = try CisternProcess(upstream: "http://\(dead.hostAndPort)", cache: try work.makeSubdirectory("regional"),
                                          extraArguments: ["--config", regionalFile.path, "--node-id", "regional"])
        let regionalURL = "http://127.0.0.1:\(regional.port)"
        let edgeFile = work.url.appendingPathComponent("edge.yml")
        try "upstreams:\n  - url: \(regionalURL)\n    ns: fixture.example\n".write(to: edgeFile, atomically: true, encoding: .utf8)
        func edge(_ name: String) throws -> CisternProcess {
            try CisternProcess(upstream: regionalURL, cache: try work.makeSubdirectory(name), extraArguments: ["--config", edgeFile.path, "--node-id", name])
        }

        let first = try edge("edge1")
        try await Self.skopeoPulls(images01, hostAndPort: "127.0.0.1:\(first.port)", work: work, round: "edge1")
        let requests = try await registry.requests()
        for (_, image) in images01 {
            for blob in image.blobs {
                #expect(requests.filter { $0.method == "GET" && $0.path.hasSuffix("/blobs/\(blob.digest)") }.count == 1, "\(blob.digest)")
            }
        }
        try await registry.resetRequestLog()

        // A new edge, cold: everything comes from the regional tier, nothing from the upstream.
        let second = try edge("edge2")
        try await Self.skopeoPulls(images01, hostAndPort: "127.0.0.1:\(second.port)", work: work, round: "edge2")
        let repeated = try await registry.requests().filter { $0.method == "GET" }
        #expect(repeated.isEmpty, "\(repeated.map(\.path))")
        #expect(CisternFleet.committedBlobDigests(cache: work.url.appendingPathComponent("edge2")) == Set(images01.flatMap { $0.image.blobs.map(\.digest) }))
    }
}
