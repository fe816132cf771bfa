import Foundation
import Testing

@testable import Proxy
@testable import ProxyRegistry

/// Runs `body` and returns the `RegistryError` it threw, or nil when it returned normally.
func thrownRegistryError<Result>(_ body: () throws(RegistryError) -> Result) -> RegistryError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite struct RegistryErrorTests {
    static let codeIdentifiers: [(RegistryError.Code, String)] = [
        (.blobUnknown, "BLOB_UNKNOWN"), (.blobUploadInvalid, "BLOB_UPLOAD_INVALID"),
        (.blobUploadUnknown, "BLOB_UPLOAD_UNKNOWN"), (.digestInvalid, "DIGEST_INVALID"),
        (.manifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN"), (.manifestInvalid, "MANIFEST_INVALID"),
        (.manifestUnknown, "MANIFEST_UNKNOWN"), (.nameInvalid, "NAME_INVALID"), (.nameUnknown, "NAME_UNKNOWN"),
        (.sizeInvalid, "SIZE_INVALID"), (.unauthorized, "UNAUTHORIZED"), (.denied, "DENIED"),
        (.unsupported, "UNSUPPORTED"), (.tooManyRequests, "TOOMANYREQUESTS"),
        (.upstreamUnavailable, "UPSTREAM_UNAVAILABLE"), (.upstreamTimeout, "UPSTREAM_TIMEOUT"),
        (.upstreamError, "UPSTREAM_ERROR"), (.rangeNotSatisfiable, "RANGE_NOT_SATISFIABLE"), (.notFound, "NOT_FOUND"),
    ]

    @Test(arguments: codeIdentifiers)
    func codeRendersItsSpecIdentifierInUppercaseAndUnderscoresOnly(code: RegistryError.Code, identifier: String) {
        #expect(code.rawValue == identifier)
        #expect(code.rawValue.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_") })
    }

    @Test func everyCodeIdentifierIsDistinct() {
        #expect(Set(Self.codeIdentifiers.map(\.0)).count == Self.codeIdentifiers.count)
    }

    static let digest = try! Digest(parsing: "sha256:" + String(repeating: "a", count: 64))

    static let constructed: [(RegistryError, RegistryError.Code, Int)] = [
        (.nameInvalid("x"), .nameInvalid, 400),
        (.nameUnknown("x"), .nameUnknown, 404),
        (.digestInvalid("x"), .digestInvalid, 400),
        (.manifestInvalid("x"), .manifestInvalid, 400),
        (.manifestUnknown(.tag(try! Tag(parsing: "latest"))), .manifestUnknown, 404),
        (.blobUnknown(digest), .blobUnknown, 404),
        (.unsupported("PUT"), .unsupported, 405),
        (.queryInvalid("x"), .unsupported, 400),
        (.unauthorized(), .unauthorized, 401),
        (.denied(), .denied, 403),
        (.tooManyRequests(), .tooManyRequests, 429),
        (.upstreamUnavailable("x"), .upstreamUnavailable, 503),
        (.upstreamTimeout("x"), .upstreamTimeout, 504),
        (.upstreamError("x"), .upstreamError, 502),
        (.rangeNotSatisfiable(size: 10), .rangeNotSatisfiable, 416),
        (.notFound(), .notFound, 404),
    ]

    @Test(arguments: constructed)
    func convenienceConstructorPairsCodeWithSpecStatus(error: RegistryError, code: RegistryError.Code, status: Int) {
        #expect(error.code == code)
        #expect(error.status == status)
        #expect(!error.message.isEmpty)
    }

    @Test func unknownErrorsCarryTheReferenceOrDigestAsDetail() {
        #expect(RegistryError.manifestUnknown(.tag(try! Tag(parsing: "3.20"))).detail == "3.20")
        #expect(RegistryError.blobUnknown(Self.digest).detail == Self.digest.string)
        #expect(RegistryError.unsupported("PATCH").detail == "PATCH")
    }

    @Test func jsonBodyHasSpecShapeWithDetail() {
        let body = RegistryError.manifestUnknown(.tag(try! Tag(parsing: "latest"))).jsonBody()
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":"latest"}]}"#)
    }

    @Test func jsonBodyOmitsNilDetail() {
        let body = RegistryError(code: .denied, status: 403, message: "no").jsonBody()
        #expect(String(decoding: body, as: UTF8.self) == #"{"errors":[{"code":"DENIED","message":"no"}]}"#)
    }

    static let escapes: [(String, String)] = [
        ("plain", #""plain""#),
        (#"say "hi""#, #""say \"hi\"""#),
        (#"back\slash"#, #""back\\slash""#),
        ("line\nbreak", #""line\u000abreak""#),
        ("nul\u{0}byte", #""nul\u0000byte""#),
        ("tab\t", #""tab\u0009""#),
        ("unit\u{1F}sep", #""unit\u001fsep""#),
        ("cr\r", #""cr\u000d""#),
        ("del\u{7F}", "\"del\u{7F}\""),
        ("é ✓", "\"é ✓\""),
        ("</script>", #""</script>""#),
        ("", #""""#),
    ]

    @Test(arguments: escapes)
    func jsonStringEscapesQuotesBackslashAndControlCharacters(input: String, expected: String) {
        var out: [UInt8] = []
        RegistryError.appendJSONString(input, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test(arguments: escapes.map(\.0) + ["\u{0}\u{1}\u{2}\"\\\u{1F}x", String(repeating: "\"", count: 300)])
    func jsonBodyDecodesBackToTheOriginalStrings(text: String) throws {
        let error = RegistryError(code: .nameInvalid, status: 400, message: text, detail: text)
        let object = try #require(JSONSerialization.jsonObject(with: Data(error.jsonBody())) as? [String: Any])
        let entries = try #require(object["errors"] as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(entries.first?["code"] as? String == "NAME_INVALID")
        #expect(entries.first?["message"] as? String == text)
        #expect(entries.first?["detail"] as? String == text)
    }

    @Test func descriptionNamesCodeStatusMessageAndDetail() {
        #expect(RegistryError.nameInvalid("bad").description == "NAME_INVALID (400): invalid repository name [bad]")
    }
}
