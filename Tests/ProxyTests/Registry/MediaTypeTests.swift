import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct MediaTypeTests {
    static let constants: [(String, String)] = [
        (MediaType.dockerManifestV2, "application/vnd.docker.distribution.manifest.v2+json"),
        (MediaType.dockerManifestList, "application/vnd.docker.distribution.manifest.list.v2+json"),
        (MediaType.dockerManifestV1Signed, "application/vnd.docker.distribution.manifest.v1+prettyjws"),
        (MediaType.dockerManifestV1, "application/vnd.docker.distribution.manifest.v1+json"),
        (MediaType.ociManifest, "application/vnd.oci.image.manifest.v1+json"),
        (MediaType.ociIndex, "application/vnd.oci.image.index.v1+json"),
    ]

    @Test(arguments: constants)
    func constantsSpellTheRegisteredMediaTypes(constant: String, expected: String) {
        #expect(constant == expected)
        #expect(MediaType.allManifestTypes.contains(constant))
    }

    @Test func allManifestTypesHoldsEachTypeOnce() {
        #expect(Set(MediaType.allManifestTypes).count == Self.constants.count)
        #expect(MediaType.allManifestTypes.count == Self.constants.count)
    }

    @Test(arguments: [
        (MediaType.ociIndex, true), (MediaType.dockerManifestList, true),
        (MediaType.ociManifest, false), (MediaType.dockerManifestV2, false), ("application/json", false),
    ])
    func onlyIndexTypesAreIndexes(mediaType: String, isIndex: Bool) {
        #expect(MediaType.isIndex(mediaType) == isIndex)
    }
}
