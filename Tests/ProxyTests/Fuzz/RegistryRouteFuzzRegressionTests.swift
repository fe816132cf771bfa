import Testing

@testable import Proxy
@testable import ProxyRegistry

/// Inputs the `route` fuzz target (fuzz/swift/) stopped on, replayed with the behaviour they
/// pinned down. Each case names the run that found it.
@Suite struct RegistryRouteFuzzRegressionTests {
    /// route run 1 (2026-11-29): the harness wrongly called a segment of six dots a dot-segment.
    /// Only `.` and `..` are dot-segments (RFC 3986 section 3.3); `......` is an ordinary
    /// segment of an upload path, which the mirror refuses anyway, and never reaches the name.
    @Test func uploadPathWithARunOfDotsIsAnUploadOfTheNameBeforeTheFirstUploadsSegment() throws {
        let target = "/v2/a/tav/v2/li/alpine/blobs/uploads/8be4df61-93ca-12/....../li/alpine/blobs/uploads/"
            + "8be4df61-93ca-12/.......................,.....................a/"  // the crash file, byte for byte
        let (route, query) = try RegistryRoute.parse(target: target)
        guard case .blobUpload(let name, let session) = route else { Issue.record("not an upload: \(route)"); return }
        #expect(name == (try RepositoryName(parsing: "a/tav/v2/li/alpine")))
        #expect(session?.hasPrefix("8be4df61-93ca-12/....../li/") == true)
        #expect(query == .empty)
    }

    @Test(arguments: ["/v2/a/blobs/uploads/./x", "/v2/a/blobs/uploads/../x", "/v2/a/blobs/uploads/x/.."])
    func uploadPathWithADotSegmentIsRefusedAsAnInvalidName(target: String) {
        #expect(throws: RegistryError.nameInvalid("dot segment in path")) { try RegistryRoute.parse(target: target) }
    }
}
