import Testing
@testable import Proxy
@testable import ProxyPullThrough
@testable import ProxyRegistry

/// `UpstreamManifestCheck` on its own: what a tag answer's bytes, type and digest fields must
/// agree on. The end-to-end cases (HTML pages, truncation, schema 1 conversions) are in
/// `OddUpstreamManifestTests`.
@Suite struct UpstreamManifestCheckTests {
    private let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}"#.utf8)
    private var digest: String { ContentHasher.digestString(of: bytes) }
    private let ociManifest = "application/vnd.oci.image.manifest.v1+json"

    @Test func aMatchingDigestFieldOrNoneIsUsable() {
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: [digest]) == nil)
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: [" \(digest) ", digest]) == nil)
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: []) == nil)
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: "application/json", digestFieldValues: []) == nil)
    }

    @Test func digestFieldsThatDisagreeOrAreNoDigestAreUnusable() {
        let other = "sha256:" + String(repeating: "b", count: 64)
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: [digest, other])
                == .unusableDigestField("\(digest), \(other)"))
        #expect(UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: [digest.uppercased()])
                == .unusableDigestField(digest.uppercased()))
        guard case .digestMismatch = UpstreamManifestCheck.problem(bytes: bytes, mediaType: ociManifest, digestFieldValues: [other]) else {
            Issue.record("a wrong digest was accepted")
            return
        }
    }

    @Test(arguments: [
        (#"{"schemaVersion":true}"#, false),
        (#"{"schemaVersion":2.5}"#, false),
        (#"{"schemaVersion":"2"}"#, false),
        (#"["schemaVersion",2]"#, false),
        (#"{"schemaVersion":1}"#, true),
        (#"{"schemaVersion":2}"#, true),
    ])
    func theBodyMustBeAJSONObjectWithANumericSchemaVersion(_ body: String, _ usable: Bool) {
        let problem = UpstreamManifestCheck.problem(bytes: Array(body.utf8), mediaType: ociManifest, digestFieldValues: [])
        #expect((problem == nil) == usable, "\(body): \(problem.map { "\($0)" } ?? "usable")")
    }
}
