import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct AcceptedMediaTypesTests {
    /// containerd's resolver: one field, comma-joined, ending in `*/*`.
    static let containerdFields = [
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, "
            + "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*",
    ]
    /// podman (containers/image): one field per type, six fields.
    static let podmanFields = [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]

    @Test func containerdHeaderNormalisesToSortedSetWithWildcard() {
        let accepted = AcceptedMediaTypes(headerValues: Self.containerdFields)
        #expect(accepted.mediaTypes == [
            "*/*",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
        ])
        #expect(accepted.key == accepted.mediaTypes.joined(separator: ","))
        #expect(accepted.headerValue == accepted.mediaTypes.joined(separator: ", "))
    }

    @Test func podmanSixFieldsNormaliseToSortedSet() {
        let accepted = AcceptedMediaTypes(headerValues: Self.podmanFields)
        #expect(accepted.mediaTypes == [
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
        ])
    }

    @Test func framingDoesNotChangeTheSet() {
        let containerdSplit = Self.containerdFields[0].split(separator: ",").map { String($0) }
        #expect(AcceptedMediaTypes(headerValues: containerdSplit) == AcceptedMediaTypes(headerValues: Self.containerdFields))
        let podmanJoined = [Self.podmanFields.joined(separator: ",")]
        #expect(AcceptedMediaTypes(headerValues: podmanJoined) == AcceptedMediaTypes(headerValues: Self.podmanFields))
        #expect(AcceptedMediaTypes(headerValues: podmanJoined).key == AcceptedMediaTypes(headerValues: Self.podmanFields).key)
        #expect(AcceptedMediaTypes(headerValues: Self.podmanFields.reversed()) == AcceptedMediaTypes(headerValues: Self.podmanFields))
    }

    @Test func containerdAndPodmanDifferOnlyByContent() {
        let containerd = AcceptedMediaTypes(headerValues: Self.containerdFields)
        let podman = AcceptedMediaTypes(headerValues: Self.podmanFields)
        #expect(containerd != podman)
        #expect(Set(containerd.mediaTypes).subtracting(podman.mediaTypes) == ["*/*"])
        #expect(Set(podman.mediaTypes).subtracting(containerd.mediaTypes) == [
            MediaType.dockerManifestV1, MediaType.dockerManifestV1Signed,
        ])
    }

    static let normalisations: [([String], [String])] = [
        ([], []),
        ([""], []),
        ([",, ,"], []),
        (["a/b;q=0, c/d;q=0.5"], ["c/d"]),
        (["a/b; q=0.000", "c/d"], ["c/d"]),
        (["a/b;Q=0"], []),
        (["a/b ; q = 0"], []),
        (["a/b;q=0.", "c/d;q=0.0"], []),
        (["a/b;q=0.001"], ["a/b"]),
        (["a/b;q=1", "a/b;q=0.5"], ["a/b"]),
        (["a/b;version=2;q=0"], []),
        (["a/b;q=\"0\""], ["a/b"]),  // a quoted weight is not a qvalue
        (["a/b;x=\"q=0,c/d\""], ["a/b"]),
        (["a/b;x=\"esc\\\"aped,e/f\", g/h"], ["a/b", "g/h"]),
        (["a/b;charset=utf-8"], ["a/b"]),
        (["Application/VND.OCI.Image.Index.v1+JSON"], ["application/vnd.oci.image.index.v1+json"]),
        (["  a/b  ,\t c/d\t"], ["a/b", "c/d"]),
        (["a/b, a/b", "A/B"], ["a/b"]),
        (["*", "text", "/b", "a/", "a b/c", "a/b c", "a/b/c", "é/x"], []),
        (["application/*"], ["application/*"]),
        (["*/*;q=0.1"], ["*/*"]),
    ]

    @Test(arguments: normalisations)
    func fieldsNormaliseToLowercaseParameterFreeSortedSet(fields: [String], expected: [String]) {
        let accepted = AcceptedMediaTypes(headerValues: fields)
        #expect(accepted.mediaTypes == expected)
        #expect(AcceptedMediaTypes(headerValueBytes: fields.map { Array($0.utf8) }) == accepted)
    }

    @Test func emptySetHasEmptyKeyAndHeaderValue() {
        #expect(AcceptedMediaTypes().key == "")
        #expect(AcceptedMediaTypes().headerValue == "")
        #expect(AcceptedMediaTypes() == AcceptedMediaTypes(headerValues: []))
    }

    static let acceptance: [([String], String, Bool)] = [
        ([], MediaType.ociIndex, true),
        ([], "anything/at-all", true),
        (["*/*"], MediaType.dockerManifestV2, true),
        (containerdFields, "application/vnd.example.unknown", true),
        (podmanFields, MediaType.ociIndex, true),
        (podmanFields, "application/vnd.example.unknown", false),
        ([MediaType.dockerManifestV2], MediaType.ociManifest, false),
        ([MediaType.dockerManifestV2], MediaType.dockerManifestV2, true),
        ([MediaType.dockerManifestV2], "APPLICATION/VND.DOCKER.DISTRIBUTION.MANIFEST.V2+JSON", true),
        ([MediaType.ociManifest], MediaType.ociManifest + "; charset=utf-8", true),
        (["application/*"], MediaType.ociIndex, true),
        (["application/*"], "text/plain", false),
        (["text/*"], MediaType.ociIndex, false),
        (["*/*;q=0", MediaType.ociIndex], MediaType.ociManifest, false),
    ]

    @Test(arguments: acceptance)
    func acceptsHonoursExactTypesAndWildcards(fields: [String], mediaType: String, accepted: Bool) {
        #expect(AcceptedMediaTypes(headerValues: fields).accepts(mediaType) == accepted)
    }
}
