import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct RegistryRouteTests {
    static let hex = String(repeating: "ab", count: 32)
    static let digestText = "sha256:" + hex
    static let digest = try! Digest(parsing: digestText)

    static func name(_ text: String) -> RepositoryName { try! RepositoryName(parsing: text) }
    static func tag(_ text: String) -> Reference { .tag(try! Tag(parsing: text)) }

    static let routes: [(String, RegistryRoute)] = [
        ("/v2/", .base),
        ("/v2", .base),
        ("/v2/?x=1", .base),
        ("/healthz", .health),
        ("/readyz", .readiness),
        ("/metrics", .metrics),
        ("/v2/library/alpine/manifests/latest", .manifest(name("library/alpine"), tag("latest"))),
        ("/v2/library/alpine/manifests/latest?ns=docker.io", .manifest(name("library/alpine"), tag("latest"))),
        ("/v2/alpine/manifests/" + digestText, .manifest(name("alpine"), .digest(digest))),
        ("/v2/alpine/blobs/" + digestText, .blob(name("alpine"), digest)),
        ("/v2/a/b/c/tags/list", .tagsList(name("a/b/c"))),
        ("/v2/a/tags/list?n=10&last=v1", .tagsList(name("a"))),
        ("/v2/a/referrers/" + digestText, .referrers(name("a"), digest)),
        ("/v2/a/referrers/" + digestText + "?artifactType=application%2Fvnd.example", .referrers(name("a"), digest)),
        ("/v2/a/blobs/uploads/", .blobUpload(name("a"))),
        ("/v2/a/blobs/uploads", .blobUpload(name("a"))),
        ("/v2/a/blobs/uploads/8a7f0b5c-2f4e-4d4b-9d57-1c0c1c2b3a4d?_state=xyz", .blobUpload(name("a"), session: "8a7f0b5c-2f4e-4d4b-9d57-1c0c1c2b3a4d")),
        ("/v2/a/b/blobs/uploads/uuid", .blobUpload(name("a/b"), session: "uuid")),
        ("/v2/manifests/manifests/latest", .manifest(name("manifests"), tag("latest"))),
        ("/v2/a/manifests/x/manifests/latest", .manifest(name("a/manifests/x"), tag("latest"))),
        ("/v2/a/blobs/uploads/x/manifests/v1", .manifest(name("a/blobs/uploads/x"), tag("v1"))),
        ("/v2/tags/tags/list", .tagsList(name("tags"))),
        ("/v2/" + String(repeating: "n", count: 255) + "/manifests/latest",
         .manifest(name(String(repeating: "n", count: 255)), tag("latest"))),
        ("/v2/a/manifests/" + String(repeating: "t", count: 128), .manifest(name("a"), tag(String(repeating: "t", count: 128)))),
    ]

    @Test(arguments: routes)
    func parsesOriginFormTargetsIntoRoutes(target: String, expected: RegistryRoute) throws {
        #expect(try RegistryRoute.parse(target: target).route == expected)
        #expect(try RegistryRoute.parse(target: Array(target.utf8)).route == expected)
        // The server's form: a buffer (the specialised entry point) routes the same.
        let bytes = Array(target.utf8)
        #expect(try bytes.withUnsafeBufferPointer { try RegistryRoute.parse(target: $0) }.route == expected)
    }

    @Test func queryIsSplitOffAndDecoded() throws {
        let parsed = try RegistryRoute.parse(target: "/v2/library/alpine/manifests/latest?ns=docker.io")
        #expect(parsed.query.ns == "docker.io")
        #expect(parsed.query.raw == "ns=docker.io")
        let tags = try RegistryRoute.parse(target: "/v2/a/tags/list?n=10&last=v1").query
        #expect(tags.n == 10)
        #expect(tags.last == "v1")
        let referrers = try RegistryRoute.parse(target: "/v2/a/referrers/\(Self.digestText)?artifactType=application%2Fvnd.example%2Bjson")
        #expect(referrers.query.artifactType == "application/vnd.example+json")
        #expect(try RegistryRoute.parse(target: "/v2/").query == .empty)
    }

    static let failures: [(String, RegistryError.Code, Int)] = [
        // Not origin-form, or no such endpoint.
        ("*", .notFound, 404),
        ("", .notFound, 404),
        ("http://host/v2/alpine/manifests/latest", .notFound, 404),
        ("v2/alpine/manifests/latest", .notFound, 404),
        ("/", .notFound, 404),
        ("/v1/_ping", .notFound, 404),
        ("/V2/", .notFound, 404),
        ("/v2alpine/manifests/latest", .notFound, 404),
        ("/v3/a/manifests/b", .notFound, 404),
        ("/healthz/", .notFound, 404),
        ("/readyz/", .notFound, 404),
        ("/metrics/x", .notFound, 404),
        ("/v2/alpine", .notFound, 404),
        ("/v2/alpine/", .notFound, 404),
        ("/v2/alpine/manifests/latest/", .notFound, 404),
        ("/v2/alpine/tags", .notFound, 404),
        ("/v2/alpine/tags/list/", .notFound, 404),
        ("/v2/alpine/foo/bar", .notFound, 404),
        ("/v2/manifests/latest", .notFound, 404),
        ("/v2/blobs/uploads/", .notFound, 404),
        // Traversal and smuggling attempts: rejected before any name is formed.
        ("/v2/../etc/passwd/manifests/x", .nameInvalid, 400),
        ("/v2/%2e%2e/etc/passwd/manifests/x", .nameInvalid, 400),
        ("/v2/a%2Fb/manifests/latest", .nameInvalid, 400),
        ("/v2/a%2fb/manifests/latest", .nameInvalid, 400),
        ("/v2/a//b/blobs/" + digestText, .nameInvalid, 400),
        ("/v2//a/manifests/latest", .nameInvalid, 400),
        ("/v2/a/\u{0}/manifests/x", .nameInvalid, 400),
        ("/v2/a\u{0}/manifests/x", .nameInvalid, 400),
        ("/v2/a\\b/manifests/x", .nameInvalid, 400),
        ("/v2/a/..\\../manifests/x", .nameInvalid, 400),
        ("/v2/./a/manifests/x", .nameInvalid, 400),
        ("/v2/a/./manifests/x", .nameInvalid, 400),
        ("/v2/a/../b/manifests/latest", .nameInvalid, 400),
        ("/v2/a/manifests/..", .nameInvalid, 400),
        ("/v2/a/manifests/.", .nameInvalid, 400),
        ("/v2/a/blobs/..", .nameInvalid, 400),
        ("/v2/a/manifests/latest%00", .nameInvalid, 400),
        ("/v2/a/blobs/sha256:%2e%2e", .nameInvalid, 400),
        ("/v2/a b/manifests/latest", .nameInvalid, 400),
        ("/v2/a\tb/manifests/x", .nameInvalid, 400),
        ("/v2/a\r\nb/manifests/x", .nameInvalid, 400),
        ("/v2/a\u{7F}/manifests/x", .nameInvalid, 400),
        ("/v2/é/manifests/x", .nameInvalid, 400),
        ("/v2/a#b/manifests/x", .nameInvalid, 400),
        ("/v2/a/manifests/x#frag", .nameInvalid, 400),
        // Grammar violations in the name.
        ("/v2/Alpine/manifests/latest", .nameInvalid, 400),
        ("/v2/a-/manifests/latest", .nameInvalid, 400),
        ("/v2/a:b/blobs/" + digestText, .nameInvalid, 400),
        ("/v2/" + String(repeating: "n", count: 256) + "/manifests/latest", .nameInvalid, 400),
        ("/v2/A/blobs/uploads/", .nameInvalid, 400),
        // Bad references and digests.
        ("/v2/a/blobs/sha256:abc", .digestInvalid, 400),
        ("/v2/a/blobs/latest", .digestInvalid, 400),
        // A manifest reference that is no valid tag or digest names no manifest: 404
        // MANIFEST_UNKNOWN, as the OCI conformance suite expects (MANIFEST_INVALID is for uploads).
        ("/v2/a/manifests/sha256:" + hex.uppercased(), .manifestUnknown, 404),
        ("/v2/a/manifests/.INVALID_MANIFEST_NAME", .manifestUnknown, 404),
        ("/v2/a/referrers/md5:d41d8cd98f00b204e9800998ecf8427e", .digestInvalid, 400),
        ("/v2/a/referrers/latest", .digestInvalid, 400),
        ("/v2/a/manifests/-bad", .manifestUnknown, 404),
        ("/v2/a/manifests/" + String(repeating: "t", count: 129), .manifestUnknown, 404),
        ("/v2/a/manifests/", .manifestUnknown, 404),
        // Bad queries.
        ("/v2/a/tags/list?n=abc", .unsupported, 400),
        ("/v2/a/tags/list?n=-1", .unsupported, 400),
        ("/v2/a/tags/list?last=%zz", .unsupported, 400),
        ("/v2/a/manifests/latest?ns=%", .unsupported, 400),
        ("/v2/a/manifests/latest?ns=a%00b", .unsupported, 400),
    ]

    @Test(arguments: failures)
    func rejectsTargetsWithTheDocumentedError(target: String, code: RegistryError.Code, status: Int) {
        let error = thrownRegistryError { () throws(RegistryError) in try RegistryRoute.parse(target: target) }
        #expect(error?.code == code)
        #expect(error?.status == status)
    }

    @Test func percentInAnyRouteSegmentIsRejected() {
        for target in ["/v2/a/manifests/lat%65st", "/v2/a/blobs/sha256%3A" + Self.hex, "/v2/a/tags/lis%74", "/v2/a/blobs/uploads/%2e%2e"] {
            let error = thrownRegistryError { () throws(RegistryError) in try RegistryRoute.parse(target: target) }
            #expect(error?.code == .nameInvalid, "\(target)")
        }
    }
}

extension RegistryRouteTests {
    @Test func pathErrorsWinOverQueryErrors() {
        let error = thrownRegistryError { () throws(RegistryError) in try RegistryRoute.parse(target: "/v2/A/manifests/x?ns=%") }
        #expect(error?.code == .nameInvalid)
    }

    /// Exactly RFC 3986's `pchar` bytes (without `%`) pass the path check, whatever the later
    /// grammar of the segment says: every other byte, controls and non-ASCII included, is
    /// refused as never part of a name, tag or digest.
    @Test func onlyPcharBytesPassThePathCheck() {
        let pchar = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@".utf8)
        for byte in UInt8.min...UInt8.max where ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "%")].contains(byte) {
            let target = Array("/v2/a/manifests/x".utf8) + [byte]
            let error = thrownRegistryError { () throws(RegistryError) in try RegistryRoute.parse(target: target) }
            let refused = error?.detail == "path contains a byte that is never part of a name, tag or digest"
            #expect(refused == !pchar.contains(byte), "byte \(byte)")
        }
    }
}
