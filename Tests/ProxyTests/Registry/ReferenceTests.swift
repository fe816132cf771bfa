import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct ReferenceTests {
    static let digestText = "sha256:" + String(repeating: "c", count: 64)

    @Test func textWithoutColonIsATag() throws {
        #expect(try Reference(parsing: "latest") == .tag(try Tag(parsing: "latest")))
    }

    @Test func textWithColonIsADigest() throws {
        #expect(try Reference(parsing: Self.digestText) == .digest(try Digest(parsing: Self.digestText)))
    }

    static let failures: [(String, RegistryError.Code)] = [
        ("sha256:abc", .digestInvalid),
        ("latest:1", .digestInvalid),
        (":", .digestInvalid),
        ("", .manifestInvalid),
        ("-bad", .manifestInvalid),
        (String(repeating: "t", count: 129), .manifestInvalid),
        ("..", .manifestInvalid),
    ]

    @Test(arguments: failures)
    func malformedReferenceReportsTheGrammarItBroke(text: String, code: RegistryError.Code) {
        let error = thrownRegistryError { () throws(RegistryError) in try Reference(parsing: text) }
        #expect(error?.code == code)
        #expect(error?.status == 400)
    }

    @Test(arguments: ["latest", "v1.0", digestText])
    func stringRoundTrips(text: String) throws {
        let reference = try Reference(parsing: Array(text.utf8))
        #expect(reference.string == text)
        #expect(reference.description == text)
    }
}
