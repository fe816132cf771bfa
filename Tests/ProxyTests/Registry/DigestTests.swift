import Testing

@testable import Proxy
@testable import ProxyRegistry

@Suite struct DigestTests {
    static let hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let hex128 = String(repeating: "0123456789abcdef", count: 8)

    static let valid: [(String, DigestAlgorithm, String)] = [
        ("sha256:" + hex64, .sha256, hex64),
        ("sha256:" + String(repeating: "0", count: 64), .sha256, String(repeating: "0", count: 64)),
        ("sha512:" + hex128, .sha512, hex128),
    ]

    @Test(arguments: valid)
    func parsesRegisteredAlgorithmsWithExactLowercaseHex(text: String, algorithm: DigestAlgorithm, hex: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.algorithm == algorithm)
        #expect(digest.hex == hex)
        #expect(digest.string == text)
        #expect(digest.description == text)
        #expect(digest.pathComponents.algorithm == algorithm.rawValue)
        #expect(digest.pathComponents.hex == hex)
        #expect(try Digest(parsing: Array(text.utf8)) == digest)
    }

    @Test(arguments: [(DigestAlgorithm.sha256, 64), (.sha512, 128)])
    func hexLengthMatchesTheRegisteredEncoding(algorithm: DigestAlgorithm, length: Int) {
        #expect(algorithm.hexLength == length)
    }

    static let invalid: [String] = [
        "",
        ":",
        "sha256",
        "sha256:",
        ":" + hex64,
        "sha256:" + String(hex64.dropLast()),
        "sha256:" + hex64 + "0",
        "sha256:" + hex64.uppercased(),
        "sha256:" + String(hex64.dropLast()) + "A",
        "SHA256:" + hex64,
        "sha256:" + String(hex64.dropLast()) + "g",
        "sha512:" + hex64,
        "sha256:" + hex128,
        "sha512:" + String(hex128.dropLast()),
        "sha384:" + String(repeating: "a", count: 96),
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "-sha256:" + hex64,
        "sha256-:" + hex64,
        "sha256::" + hex64,
        " sha256:" + hex64,
        "sha256:" + hex64 + " ",
        "sha256:" + String(hex64.dropLast()) + "\u{0}",
        "sha256:" + String(hex64.dropLast(3)) + "/..",
        "sha256:../../../../etc/passwd",
        "sha256:" + String(hex64.dropLast()) + "%",
        "../sha256:" + hex64,
    ]

    @Test(arguments: invalid)
    func rejectsMalformedOrUnverifiableDigestsWithDigestInvalid(text: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try Digest(parsing: text) }
        #expect(error?.code == .digestInvalid)
        #expect(error?.status == 400)
    }

    @Test func rawHashIsRenderedAsLowercaseHex() {
        var bytes: [UInt8] = []
        var hex = Array(Self.hex64.utf8)[...]
        while !hex.isEmpty {
            bytes.append(UInt8(String(decoding: hex.prefix(2), as: UTF8.self), radix: 16)!)
            hex = hex.dropFirst(2)
        }
        #expect(Digest(algorithm: .sha256, rawHash: bytes).string == "sha256:" + Self.hex64)
        #expect(Digest(algorithm: .sha512, rawHash: [UInt8](repeating: 0xAB, count: 64)).hex == String(repeating: "ab", count: 64))
    }

    @Test func equalDigestsHashAlike() throws {
        let a = try Digest(parsing: "sha256:" + Self.hex64)
        let b = try Digest(parsing: Array(("sha256:" + Self.hex64).utf8))
        let c = try Digest(parsing: "sha512:" + Self.hex128)
        #expect(Set([a, b, c]).count == 2)
    }

    /// The parsed and the computed form of one hash are one digest: equality and hashing use
    /// the decoded words, so a decoding slip would split the cache in two.
    @Test func aParsedAndAComputedDigestOfOneHashAreEqualAndHashAlike() throws {
        for seed in 0..<64 {
            let raw = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ seed &* 11) }
            let computed = Digest(algorithm: .sha256, rawHash: raw)
            let parsed = try Digest(parsing: computed.string)
            #expect(parsed == computed)
            #expect(parsed.hashValue == computed.hashValue)
            #expect(Set([parsed, computed]).count == 1)
        }
    }

    /// Every one of the 64 digits counts: digests differing in one digit are different keys.
    @Test func digestsDifferingInAnyOneDigitAreUnequal() throws {
        let base = try Digest(parsing: "sha256:" + Self.hex64)
        var keys: Set<Digest> = [base]
        for position in 0..<64 {
            var text = Array(Self.hex64.utf8)
            text[position] = text[position] == UInt8(ascii: "0") ? UInt8(ascii: "f") : UInt8(ascii: "0")
            let other = try Digest(parsing: "sha256:" + String(decoding: text, as: UTF8.self))
            #expect(other != base)
            keys.insert(other)
        }
        #expect(keys.count == 65)
    }

    /// SHA-512 digests are compared by their whole text: two that share the first 64 digits
    /// differ.
    @Test func sha512DigestsSharingAPrefixAreUnequal() throws {
        let a = try Digest(parsing: "sha512:" + Self.hex128)
        let b = try Digest(parsing: "sha512:" + String(Self.hex128.dropLast()) + "0")
        #expect(a != b)
        #expect(Set([a, b]).count == 2)
    }

    /// Each byte that is not a lowercase hex digit, at the first and the last position.
    @Test func everyNonLowercaseHexByteIsRejected() {
        let allowed = Set("0123456789abcdef".utf8)
        for byte in UInt8.min...UInt8.max where !allowed.contains(byte) {
            for position in [0, 63] {
                var text = Array(("sha256:" + Self.hex64).utf8)
                text[7 + position] = byte
                let error = thrownRegistryError { () throws(RegistryError) in try Digest(parsing: text) }
                #expect(error?.code == .digestInvalid, "byte \(byte) at \(position)")
            }
        }
    }
}
