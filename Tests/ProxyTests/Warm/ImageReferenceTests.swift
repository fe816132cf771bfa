import Testing
@testable import ProxyPullThrough
@testable import ProxyRegistry
@testable import ProxyWarm

/// The warm target's reference (the test target has a fixture type of the same name).
private typealias WarmImageReference = ProxyWarm.ImageReference

/// `cistern warm`'s image references: Docker's host rule, `ns=` only with a host, bare names
/// unchanged, tag `latest` by default, digest over tag; and `--from-file` lists.
@Suite struct ImageReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let host: String?
        let repository: String
        let reference: String
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "busybox", host: nil, repository: "busybox", reference: "latest"),
        Case(text: "library/busybox:1.36", host: nil, repository: "library/busybox", reference: "1.36"),
        Case(text: "docker.io/library/busybox:latest", host: "docker.io", repository: "library/busybox", reference: "latest"),
        Case(text: "127.0.0.1:5001/tools/app:v1", host: "127.0.0.1:5001", repository: "tools/app", reference: "v1"),
        Case(text: "localhost/app", host: "localhost", repository: "app", reference: "latest"),
        Case(text: "localhost:5000/a/b/c", host: "localhost:5000", repository: "a/b/c", reference: "latest"),
        Case(text: "ghcr.io/org/app@\(digest)", host: "ghcr.io", repository: "org/app", reference: digest),
        Case(text: "org/app:v2@\(digest)", host: nil, repository: "org/app", reference: digest),
        Case(text: "Registry/app:v1", host: "Registry", repository: "app", reference: "v1"),
        Case(text: "quay.io/org/app:v1.2-rc_3", host: "quay.io", repository: "org/app", reference: "v1.2-rc_3"),
    ]

    @Test(arguments: cases) func splitsLikeDocker(_ expected: Case) throws {
        let reference = try WarmImageReference(parsing: expected.text)
        #expect(reference.host == expected.host)
        #expect(reference.repository.string == expected.repository)
        #expect(reference.reference.string == expected.reference)
        #expect(reference.description == expected.text)
    }

    @Test func pathsCarryNamespaceOnlyWithAHost() throws {
        let plain = try WarmImageReference(parsing: "library/busybox:1.36")
        #expect(plain.manifestPath() == "/v2/library/busybox/manifests/1.36")
        let hosted = try WarmImageReference(parsing: "127.0.0.1:5001/tools/app:v1")
        #expect(hosted.manifestPath() == "/v2/tools/app/manifests/v1?ns=127.0.0.1:5001")
        let digest = try Digest(parsing: Self.digest)
        #expect(hosted.manifestPath(.digest(digest)) == "/v2/tools/app/manifests/\(Self.digest)?ns=127.0.0.1:5001")
        #expect(hosted.blobPath(digest) == "/v2/tools/app/blobs/\(Self.digest)?ns=127.0.0.1:5001")
        #expect(plain.blobPath(digest) == "/v2/library/busybox/blobs/\(Self.digest)")
    }

    @Test(arguments: ["", "app:", "app@sha256:12", "app@md5:abc", "UPPER", "a//b", "docker.io/", "app:tag with space", ":v1"])
    func refusesMalformedReferences(_ text: String) {
        #expect(throws: WarmImageReference.Invalid.self) { try WarmImageReference(parsing: text) }
    }

    @Test func fromFileSkipsBlankLinesAndComments() throws {
        let text = """
            # the most pulled images
            library/busybox:1.36

              docker.io/library/alpine:3.19   # base image\r
            #ghcr.io/skipped/app
            127.0.0.1:5001/tools/app@\(Self.digest)
            """
        let references = try ImageReferenceList.parse(text)
        #expect(references.map(\.text) == ["library/busybox:1.36", "docker.io/library/alpine:3.19", "127.0.0.1:5001/tools/app@\(Self.digest)"])
    }

    @Test func fromFileNamesTheLineOfABadReference() {
        #expect {
            try ImageReferenceList.parse("busybox\n\nBad Name:x\n")
        } throws: { error in
            (error as? WarmImageReference.Invalid)?.reason.hasPrefix("line 3:") == true
        }
    }

    @Test func machinePlatformsUseGoArchitectureNames() {
        #expect(MachinePlatform.platform(machine: "x86_64").description == "linux/amd64")
        #expect(MachinePlatform.platform(machine: "aarch64").description == "linux/arm64")
        #expect(MachinePlatform.platform(machine: "armv7l").description == "linux/arm/v7")
    }

    @Test func indexSelectionTakesThePlatformOrEveryChild() throws {
        let amd = String(repeating: "1", count: 64), arm = String(repeating: "2", count: 64), att = String(repeating: "3", count: 64)
        let index = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"digest":"sha256:\(amd)","size":1,"platform":{"os":"linux","architecture":"amd64"}},
            {"digest":"sha256:\(arm)","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
            {"digest":"sha256:\(att)","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]}
            """
        let manifest = try WarmManifest(parsing: Array(index.utf8), contentType: nil)
        #expect(manifest.isIndex)
        #expect(try manifest.selectedChildren(for: Platform(parsing: "linux/arm64")).map(\.digest.hex) == [arm])
        #expect(try manifest.selectedChildren(for: Platform(parsing: "linux/amd64")).map(\.digest.hex) == [amd])
        #expect(try manifest.selectedChildren(for: nil).count == 3)
        #expect(throws: MirrorTransportError.self) { try manifest.selectedChildren(for: Platform(parsing: "linux/s390x")) }
    }

    @Test func imageManifestListsConfigThenLayersWithoutForeignOnes() throws {
        let config = String(repeating: "c", count: 64), layer = String(repeating: "d", count: 64), foreign = String(repeating: "e", count: 64)
        let text = """
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
            "config":{"digest":"sha256:\(config)","size":12},
            "layers":[{"digest":"sha256:\(layer)","size":3400},
            {"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"sha256:\(foreign)","size":9,"urls":["https://x"]}]}
            """
        let manifest = try WarmManifest(parsing: Array(text.utf8), contentType: nil)
        #expect(!manifest.isIndex)
        #expect(manifest.blobs.map(\.digest.hex) == [config, layer])
        #expect(manifest.blobs.map(\.byteCount) == [12, 3400])
    }
}
