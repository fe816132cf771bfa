import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct TagTests {
    static let valid: [String] = [
        "latest", "3.20", "v1.2.3-rc.1", "_", "A", "_private", "Latest-..", "sha256-abc",
        "0", "a__--..b", String(repeating: "a", count: 128), "_" + String(repeating: "-", count: 127),
    ]

    @Test(arguments: valid)
    func acceptsTagsUpTo128BytesMatchingTheGrammar(text: String) throws {
        let tag = try Tag(parsing: text)
        #expect(tag.string == text)
        #expect(tag.description == text)
        #expect(try Tag(parsing: Array(text.utf8)) == tag)
    }

    static let invalid: [String] = [
        "", ".", "..", ".hidden", "-x", String(repeating: "a", count: 129),
        "a:b", "a/b", "a b", "a%20", "é", "a\u{0}", "a\\b", "a+b", "a@b", "a~b", "\n",
        "_" + String(repeating: "-", count: 128),
    ]

    @Test(arguments: invalid)
    func rejectsMalformedTagsWithManifestInvalid(text: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try Tag(parsing: text) }
        #expect(error?.code == .manifestInvalid)
        #expect(error?.status == 400)
    }
}
