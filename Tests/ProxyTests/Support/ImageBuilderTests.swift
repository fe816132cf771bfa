import Foundation
import Testing

/// The built images are real: layers read back with tar/gzip, digests match content, and the
/// OCI and Docker flavours of the same content share config and layer digests.
@Suite struct ImageBuilderTests {
    @Test func layerIsAGzipTarThatSystemToolsRead() async throws {
        let work = try TemporaryDirectory()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "img", layers: [ImageBuilder.Layer(files: [("a/one.bin", 70_000), ("two.bin", 3)])], seed: 9)
        let layer = try #require(image.manifests.first?.layers.first)
        let layerURL = image.blobURL(digest: layer.digest)
        _ = try await ChildProcess.run("/bin/gzip", ["-t", layerURL.path])
        let listing = try await ChildProcess.run("/bin/tar", ["-tzvf", layerURL.path])
        let lines = String(decoding: listing.standardOutput, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(" 70000 ") == true && lines.first?.hasSuffix("a/one.bin") == true)
        #expect(lines.last?.contains(" 3 ") == true && lines.last?.hasSuffix("two.bin") == true)
    }

    @Test func executableLayerHoldsTheExactBinaryWithMode0755AfterItsDataFile() async throws {
        let work = try TemporaryDirectory()
        let layer = try ImageBuilder.Layer.executable(copying: "/bin/sh", to: "bin/tool", dataByteCount: 1234)
        let image = try await ImageBuilder(directory: work.url).image(name: "exe", layers: [layer], seed: 3)
        let layerURL = image.blobURL(digest: try #require(image.manifests.first?.layers.first).digest)
        let listing = try await ChildProcess.run("/bin/tar", ["-tzvf", layerURL.path])
        let lines = String(decoding: listing.standardOutput, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("-rw-r--r--") == true && lines.first?.hasSuffix(" data.bin") == true)
        #expect(lines.last?.hasPrefix("-rwxr-xr-x") == true && lines.last?.hasSuffix(" bin/tool") == true)
        let extracted = try work.makeSubdirectory("extracted")
        _ = try await ChildProcess.run("/bin/tar", ["-xzf", layerURL.path, "-C", extracted.path])
        let copied = try Data(contentsOf: extracted.appendingPathComponent("bin/tool"))
        #expect(copied == (try Data(contentsOf: URL(fileURLWithPath: "/bin/sh"))))
        #expect(throws: ChildProcess.Failure.self) {
            try ImageBuilder.Layer.executable(copying: "/nonexistent/tool", to: "bin/tool", dataByteCount: 1)
        }
    }

    @Test func gzipTrailerCRCMatchesTheKnownCheckValue() {
        #expect(LayerArchive.crc32(Array("123456789".utf8)) == 0xCBF4_3926)  // the CRC-32 check value
    }

    @Test func everyStoredBlobHashesToItsDigestAndSize() async throws {
        let work = try TemporaryDirectory()
        let image = try await ImageBuilder(directory: work.url).multiPlatformImage(
            name: "multi", layers: [.file(byteCount: 1000), .file(byteCount: 100_000)], seed: 2)
        let descriptors = [image.root] + image.manifests.map(\.descriptor) + image.blobs
        let hexDigests = try await SHA256Sum.hexDigests(ofFiles: descriptors.map { image.blobURL(digest: $0.digest) })
        #expect(hexDigests == descriptors.map(\.hex))
        for descriptor in descriptors {
            #expect(try image.contents(digest: descriptor.digest).count == descriptor.byteCount)
        }
        #expect(image.manifests.map(\.platform) == [.linuxAmd64, .linuxArm64])
        #expect(Set(image.layers.map(\.digest)).count == 4)  // each platform's layers differ
        let index = try #require(try JSONSerialization.jsonObject(with: image.rootBytes) as? [String: Any])
        let indexedDigests = (index["manifests"] as? [[String: Any]])?.compactMap { $0["digest"] as? String }
        #expect(indexedDigests == image.manifests.map(\.descriptor.digest))
    }

    @Test func ociAndDockerFormatsShareContentButNotManifestDigests() async throws {
        let work = try TemporaryDirectory()
        let builder = ImageBuilder(directory: work.url)
        let layers: [ImageBuilder.Layer] = [.file(byteCount: 5000), .file(byteCount: 6000)]
        let oci = try await builder.image(name: "oci", layers: layers, seed: 4)
        let docker = try await builder.image(name: "docker", layers: layers, seed: 4, format: .docker)
        let other = try await builder.image(name: "other", layers: layers, seed: 5)
        #expect(oci.blobs.map(\.digest) == docker.blobs.map(\.digest))
        #expect(oci.root.digest != docker.root.digest)
        #expect(oci.root.mediaType == FixtureMediaType.ociManifest)
        #expect(docker.root.mediaType == FixtureMediaType.dockerManifest)
        #expect(docker.manifests[0].layers.allSatisfy { $0.mediaType == FixtureMediaType.dockerLayerGzip })
        #expect(docker.manifests[0].config.mediaType == FixtureMediaType.dockerConfig)
        #expect(Set(other.layers.map(\.digest)).isDisjoint(with: oci.layers.map(\.digest)))
    }

    @Test func accessLogLineParsesIntoMethodPathStatusAndBytes() throws {
        let line: Substring = #"127.0.0.1 - - [29/Nov/2026:09:56:09 +0000] "#
            + #""HEAD /v2/a/b/blobs/sha256:ab?x=1 HTTP/1.1" 404 157 "" "skopeo/1.9.3""#
        let request = try #require(RegistryRequest(accessLogLine: line))
        #expect(request.method == "HEAD")
        #expect(request.uri == "/v2/a/b/blobs/sha256:ab?x=1")
        #expect(request.path == "/v2/a/b/blobs/sha256:ab")
        #expect(request.status == 404)
        #expect(request.byteCount == 157)
        #expect(request.userAgent == "skopeo/1.9.3")
        #expect(RegistryRequest(accessLogLine: #"{"level":"info","msg":"listening on 127.0.0.1:5000"}"#) == nil)
    }
}
