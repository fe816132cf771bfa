import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct RepositoryNameTests {
    static let longest = String(repeating: "a", count: 255)
    static let longestWithComponents = String(repeating: "abcd/", count: 50) + "abcde"  // 255 bytes

    static let valid: [String] = [
        "a", "0", "alpine", "library/alpine", "9a", "a.b", "a_b", "a__b", "a-b", "a---b",
        "a/b/c/d", "foo.bar_baz__qux-quux/x1", "bitnami/redis-cluster", "a.b.c/d_e/f--g",
        "blobs/uploads", "manifests", longest, longestWithComponents,
    ]

    @Test(arguments: valid)
    func acceptsNamesMatchingTheSpecGrammar(text: String) throws {
        let name = try RepositoryName(parsing: text)
        #expect(name.string == text)
        #expect(name.description == text)
        #expect(try RepositoryName(parsing: Array(text.utf8)) == name)
    }

    @Test func lengthLimitIsExactly255Bytes() {
        #expect(Self.longest.utf8.count == 255)
        #expect(Self.longestWithComponents.utf8.count == 255)
        #expect(RepositoryName.maximumByteCount == 255)
    }

    static let invalid: [String] = [
        "", "A", "Alpine", "library/Alpine",
        "a..b", "a._b", "a___b", "a_-b", "a-_b", "a-.b", "a.-b",
        "-a", "a-", ".a", "a.", "_a", "a_", "__a",
        "/a", "a/", "a//b", "/", "//",
        ".", "..", "a/../b", "a/./b", "../a", "a/..", "a/.hidden",
        "a\\b", "a%2fb", "%2e%2e", "a b", "a\tb", "a\u{0}b", "a\nb", "a:b", "a@b", "a+b", "a~b",
        "é", "a/-b", "a/b_", String(repeating: "a", count: 256), longestWithComponents + "a",
        String(repeating: "a/", count: 128),
    ]

    @Test(arguments: invalid)
    func rejectsNamesBreakingGrammarOrLengthWithNameInvalid(text: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try RepositoryName(parsing: text) }
        #expect(error?.code == .nameInvalid)
        #expect(error?.status == 400)
    }

    @Test(arguments: valid)
    func everyValidNameIsASafeRelativePath(text: String) throws {
        let name = try RepositoryName(parsing: text)
        for component in name.components {
            #expect(!component.isEmpty)
            #expect(component != "." && component != "..")
            #expect(!component.hasPrefix("."))
            #expect(component.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            })
        }
    }

    static let normalizations: [(String, Bool, String)] = [
        ("alpine", true, "library/alpine"),
        ("alpine", false, "alpine"),
        ("library/alpine", true, "library/alpine"),
        ("bitnami/redis", true, "bitnami/redis"),
        ("a/b/c", true, "a/b/c"),
        ("my.image_x", true, "library/my.image_x"),
    ]

    @Test(arguments: normalizations)
    func dockerHubNormalizationPrefixesOnlySingleComponentNames(text: String, dockerHub: Bool, expected: String) throws {
        #expect(try RepositoryName(parsing: text).normalized(dockerHub: dockerHub).string == expected)
    }

    @Test func normalizingTheLongestNameKeepsTheGrammar() throws {
        let normalized = try RepositoryName(parsing: Self.longest).normalized(dockerHub: true)
        #expect(normalized.string.utf8.count == 263)
        #expect(RepositoryName.matchesGrammar(normalized.string.utf8))
    }

    @Test func componentsSplitOnSlash() throws {
        #expect(try RepositoryName(parsing: "library/alpine").components == ["library", "alpine"])
        #expect(try RepositoryName(parsing: "a").components == ["a"])
    }
}
