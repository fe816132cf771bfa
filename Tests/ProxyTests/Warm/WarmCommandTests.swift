import Foundation
import Testing

/// `cistern warm` as the hourly job runs it: the built executable pulling through a Cistern in
/// front of the real registry, after which clients' pulls are hits (no upstream GET).
@Suite(.serialized) struct WarmCommandTests {
    /// What one `cistern warm` run printed and how it ended.
    struct Run {
        let termination: ChildProcess.Termination
        let output: String
        let errorOutput: String
    }

    /// Runs `cistern warm ARGUMENTS` (standard output and error are files, not a terminal).
    static func warm(_ arguments: [String]) async throws -> Run {
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: ["warm"] + arguments)
        let termination = try await child.waitUntilExit(timeout: .seconds(120))
        return Run(termination: termination, output: String(decoding: child.standardOutput(), as: UTF8.self),
                   errorOutput: String(decoding: child.standardError(), as: UTF8.self))
    }

    /// The seeded registry plus `warm/big:v1`, two layers of 3 MB and 500 kB (bodies many
    /// reads long), and a Cistern in front whose tags stay fresh for an hour.
    static func mirror() async throws -> (SeededRegistry, BuiltImage, CisternInstance) {
        let seeded = try await SeededRegistry.start()
        let big = try await ImageBuilder(directory: seeded.work.url).image(
            name: "big", layers: [.file(byteCount: 3_000_000), .file(byteCount: 500_000)], seed: 71)
        try await RegistrySeeder(registry: seeded.registry).push(big, repository: "warm/big", tag: "v1")
        let cistern = try CisternInstance(upstream: seeded.registry.baseURL) { $0.tagTTL = .seconds(3600) }
        return (seeded, big, cistern)
    }

    @Test func afterWarmASkopeoPullThroughTheMirrorMakesNoUpstreamGET() async throws {
        let (seeded, big, cistern) = try await Self.mirror()
        let run = try await Self.warm(["--mirror", cistern.baseURL.absoluteString,
                                       "protocol/app:oci-index", "protocol/app:docker", "warm/big:v1"])
        #expect(run.termination.succeeded, "\(run.output)\n\(run.errorOutput)")
        let amd64 = try #require(seeded.ociIndex.image.manifests.first { $0.platform == .linuxAmd64 })
        #expect(run.output.contains("warmed protocol/app:oci-index \(seeded.ociIndex.image.root.digest) (2 manifests, 2 blobs, \(amd64.config.byteCount + amd64.layers[0].byteCount) bytes)"),
                "\(run.output)")
        #expect(run.output.contains("warmed protocol/app:docker \(seeded.dockerSingle.image.root.digest) (1 manifests, 2 blobs"))
        #expect(run.output.contains("warmed warm/big:v1 \(big.root.digest) (1 manifests, 3 blobs, \(big.blobs.reduce(0) { $0 + $1.byteCount }) bytes)"))
        #expect(run.output.contains("3 of 3 images warm"))
        // Warm went through Cistern to the upstream once per blob; the arm64 child was left alone.
        let warming = try await seeded.registry.requests()
        for blob in big.blobs + [amd64.config] + amd64.layers {
            #expect(warming.count { $0.method == "GET" && $0.path.hasSuffix("/blobs/\(blob.digest)") } == 1, "\(blob.digest)")
        }
        let arm64 = try #require(seeded.ociIndex.image.manifests.first { $0.platform == .linuxArm64 })
        #expect(!warming.contains { $0.path.contains(arm64.descriptor.digest) || $0.path.contains(arm64.layers[0].digest) })
        cistern.waitForFillsToSettle()

        try await seeded.registry.resetRequestLog()
        let pulls = [("protocol/app:oci-index", amd64.descriptor.digest), ("protocol/app:docker", seeded.dockerSingle.image.root.digest),
                     ("warm/big:v1", big.root.digest)]
        for (index, (image, digest)) in pulls.enumerated() {
            let destination = seeded.work.appending("pull-\(index)")
            try await Skopeo().copy("\(cistern.hostAndPort)/\(image)", to: destination)
            #expect(try await Skopeo.verifyDirectory(destination).manifestDigest == digest, "\(image)")
        }
        let pulling = try await seeded.registry.requests()
        #expect(pulling.filter { $0.method == "GET" }.isEmpty, "upstream GETs after warm: \(pulling)")
    }

    @Test func allPlatformsWarmsEveryChildSoSkopeoCopyAllMakesNoUpstreamGET() async throws {
        let seeded = try await SeededRegistry.start()
        let cistern = try CisternInstance(upstream: seeded.registry.baseURL) { $0.tagTTL = .seconds(3600) }
        let run = try await Self.warm(["--mirror", cistern.baseURL.absoluteString, "--all-platforms", "--concurrency", "2",
                                       "protocol/app:docker-list"])
        #expect(run.termination.succeeded, "\(run.output)\n\(run.errorOutput)")
        #expect(run.output.contains("warmed protocol/app:docker-list \(seeded.dockerList.image.root.digest) (3 manifests, 4 blobs"), "\(run.output)")
        cistern.waitForFillsToSettle()

        try await seeded.registry.resetRequestLog()
        let destination = seeded.work.appending("pull-all")
        try await Skopeo().copy("\(cistern.hostAndPort)/protocol/app:docker-list", to: destination, all: true)
        let verified = try await Skopeo.verifyDirectory(destination)
        #expect(verified.manifestDigest == seeded.dockerList.image.root.digest)
        #expect(verified.verifiedDigests.count == 6)
        let pulling = try await seeded.registry.requests()
        #expect(pulling.filter { $0.method == "GET" }.isEmpty, "upstream GETs after warm: \(pulling)")
    }

    @Test func aMissingImageFailsTheRunNamingItWhileTheOthersAreWarmed() async throws {
        let seeded = try await SeededRegistry.start()
        let cistern = try CisternInstance(upstream: seeded.registry.baseURL)
        let run = try await Self.warm(["--mirror", cistern.baseURL.absoluteString, "protocol/app:absent", "protocol/app:oci",
                                       "protocol/app:oci-index", "--platform", "linux/s390x"])
        #expect(run.termination == .exited(1))
        #expect(run.output.contains("failed protocol/app:absent: GET /v2/protocol/app/manifests/absent: status 404 MANIFEST_UNKNOWN"), "\(run.output)")
        #expect(run.output.contains("failed protocol/app:oci-index: no manifest for linux/s390x in the index (it has linux/amd64, linux/arm64)"))
        #expect(run.output.contains("warmed protocol/app:oci \(seeded.ociSingle.image.root.digest)"))
        #expect(run.output.contains("1 of 3 images warm"))
    }

    @Test func fromFileReadsAListAndProgressIsPlainLinesWhenNotATerminal() async throws {
        let (seeded, big, cistern) = try await Self.mirror()
        let list = seeded.work.appending("images.txt")
        try Data("""
            # warmed every hour
            warm/big:v1

            protocol/app@\(seeded.ociSingle.image.root.digest)   # pinned
            """.utf8).write(to: list)
        let run = try await Self.warm(["--mirror", cistern.baseURL.absoluteString, "--from-file", list.path])
        #expect(run.termination.succeeded, "\(run.output)\n\(run.errorOutput)")
        #expect(run.output.contains("warmed warm/big:v1 \(big.root.digest)"))
        #expect(run.output.contains("warmed protocol/app@\(seeded.ociSingle.image.root.digest) \(seeded.ociSingle.image.root.digest) (1 manifests, 2 blobs"))
        // Not a terminal: whole lines, no carriage returns redrawing a bar.
        #expect(!run.errorOutput.contains("\r"))
        let lines = run.errorOutput.split(separator: "\n")
        #expect(lines.contains("warm manifests: 100% (2/2) images"), "\(run.errorOutput)")
        #expect(lines.contains { $0.hasPrefix("warm blobs: 0% ") })
        #expect(lines.contains { $0.hasPrefix("warm blobs: 100% ") && $0.hasSuffix("5/5 blobs, 3.3 of 3.3 MiB") }, "\(run.errorOutput)")
        #expect(lines.count <= 13, "at most one line per tenth: \(run.errorOutput)")
    }

    @Test func aReferenceWithAHostGoesToTheUpstreamOfThatName() async throws {
        let work = try TemporaryDirectory()
        let defaultRegistry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let otherRegistry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let image = try await ImageBuilder(directory: work.url).image(name: "other", layers: [.file(byteCount: 20_000)], seed: 73)
        try await RegistrySeeder(registry: otherRegistry).push(image, repository: "other/app", tag: "v1")
        try await otherRegistry.resetRequestLog()
        let cistern = try CisternInstance(upstreams: [(defaultRegistry.hostAndPort, defaultRegistry.baseURL.absoluteString),
                                                      (otherRegistry.hostAndPort, otherRegistry.baseURL.absoluteString)])

        let hosted = try await Self.warm(["--mirror", cistern.baseURL.absoluteString, "\(otherRegistry.hostAndPort)/other/app:v1"])
        #expect(hosted.termination.succeeded, "\(hosted.output)")
        #expect(hosted.output.contains("warmed \(otherRegistry.hostAndPort)/other/app:v1 \(image.root.digest)"))
        let other = try await otherRegistry.requests()
        for blob in image.blobs {
            #expect(other.count { $0.method == "GET" && $0.path == "/v2/other/app/blobs/\(blob.digest)" } == 1)
        }
        // Without the host the mirror asks its default upstream, which lacks the image.
        let bare = try await Self.warm(["--mirror", cistern.baseURL.absoluteString, "other/app:v1"])
        #expect(bare.termination == .exited(1))
        #expect(bare.output.contains("failed other/app:v1: GET /v2/other/app/manifests/v1: status 404"), "\(bare.output)")
        #expect(try await defaultRegistry.requests().contains { $0.path == "/v2/other/app/manifests/v1" })
    }

    @Test func anHTTPSMirrorIsTrustedThroughCAFile() async throws {
        var options = RegistryProcess.Options()
        options.transport = .tls
        let registry = try await RegistryProcess.start(options)
        let work = try TemporaryDirectory()
        let image = try await ImageBuilder(directory: work.url).image(name: "tls", layers: [.file(byteCount: 200_000)], seed: 75)
        try await RegistrySeeder(registry: registry).push(image, repository: "tls/app", tag: "v1")
        // The registry speaks the pull API itself, so it stands in for an https mirror.
        let mirror = "https://127.0.0.1:\(registry.port)"
        let caFile = try #require(registry.caCertificateURL).path

        let trusted = try await Self.warm(["--mirror", mirror, "--ca-file", caFile, "tls/app:v1"])
        #expect(trusted.termination.succeeded, "\(trusted.output)\n\(trusted.errorOutput)")
        #expect(trusted.output.contains("warmed tls/app:v1 \(image.root.digest) (1 manifests, 2 blobs"))

        let untrusted = try await Self.warm(["--mirror", mirror, "tls/app:v1"])
        #expect(untrusted.termination == .exited(1))
        #expect(untrusted.output.contains("TLS handshake failed: certificate verification failed"), "\(untrusted.output)")
    }
}
