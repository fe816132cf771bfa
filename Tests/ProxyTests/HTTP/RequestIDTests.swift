import Testing
@testable import ProxyHTTP

/// Request ids: which client ids are taken, how generated ones look, and that a generator
/// does not repeat itself.
@Suite struct RequestIDTests {
    @Test(arguments: ["abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-5e1b4151:x.y_z~+/", String(repeating: "a", count: 128)])
    func saneClientIDsAreTakenAsTheyAre(value: String) {
        #expect(RequestID(received: value) == .received(value))
        #expect(RequestID(received: value)?.text == value)
    }

    @Test(arguments: ["", String(repeating: "a", count: 129), "a b", "a\"b", "a\\b", "a\nb", "a\u{7F}", "é", "a,b", "a;b", "<script>"])
    func idsThatWouldNeedEscapingOrAreTooLongAreRefused(value: String) {
        #expect(RequestID(received: value) == nil)
    }

    @Test func generatedIDsAreSixteenLowercaseHexDigits() {
        #expect(RequestID.generated(0).text == "0000000000000000")
        #expect(RequestID.generated(0xDEAD_BEEF_0123_4567).text == "deadbeef01234567")
        var generator = RequestID.Generator(seed: 42)
        let text = generator.next().text
        #expect(text.utf8.count == 16)
        #expect(text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) })
    }

    @Test func aGeneratorGivesDistinctIDsAndTwoSeedsGiveDifferentSequences() {
        var first = RequestID.Generator(seed: 1)
        var second = RequestID.Generator(seed: 2)
        var seen = Set<String>()
        for _ in 0..<10_000 { seen.insert(first.next().text) }
        #expect(seen.count == 10_000)
        #expect(RequestID.Generator(seed: 1).nextText() != second.next().text)
    }
}

extension RequestID.Generator {
    /// The next id's text (a copy of the generator advances, not this one).
    fileprivate func nextText() -> String {
        var copy = self
        return copy.next().text
    }
}
