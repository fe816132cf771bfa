import Foundation
import Testing

@Suite("TestSHA256 known answers")
struct TestSHA256Tests {
    @Test("FIPS 180-4 example vectors hash to their published digests", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func knownVector(message: String, expectedHex: String) {
        #expect(TestSHA256.hex(TestSHA256.hash(Array(message.utf8))) == expectedHex)
    }

    @Test("one million 'a' bytes hash to the FIPS 180-4 digest")
    func millionA() {
        let digest = TestSHA256.digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(digest == "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the 55/56/64-byte padding boundaries agree with sha256sum")
    func paddingBoundariesMatchSha256sum() throws {
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let reference = try Self.sha256sum(bytes)
            #expect(TestSHA256.hex(TestSHA256.hash(bytes)) == reference, "length \(length)")
        }
    }

    @Test("digest strings are sha256: followed by 64 lowercase hex digits")
    func digestShape() {
        let digest = TestSHA256.digest(Array("hello".utf8))
        #expect(digest == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    }

    /// The hex digest `/usr/bin/sha256sum` computes for `bytes` (an independent reference).
    static func sha256sum(_ bytes: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}
