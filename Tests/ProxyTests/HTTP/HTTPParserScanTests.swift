import CEpoll
import Testing

/// The parser scans request-targets and field values sixteen bytes at a time
/// (`cep_http_scan.h`). These heads put every length and every bad byte on both sides of
/// the 16-byte steps, and feed each valid head in every split, so a scan that reads a byte
/// too far, stops a byte short or misses a bad byte in one lane fails here.
@Suite struct HTTPParserScanTests {
    /// Bytes never allowed in a request-target: CTLs, SP, DEL and everything above ASCII.
    static let notInTarget: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7F, 0x80, 0xC3, 0xFF]
    /// Bytes never allowed in a field value (CR only as the end of the line, RFC 9110 §5.5).
    static let notInValue: [UInt8] = [0x00, 0x01, 0x0A, 0x0B, 0x0D, 0x1F, 0x7F]

    @Test func targetsOfEveryLengthAcrossTheStepsParseWholeAndInEverySplit() {
        for length in 1...50 {
            let target = "/" + String(repeating: "v", count: length - 1)
            let bytes = Array("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
            let whole = parse(bytes)
            #expect(whole.result == Int32(bytes.count), "length \(length)")
            #expect(whole.target == target, "length \(length)")
            #expect(parse(bytes, prefixLengths: Array(1..<bytes.count)) == whole, "length \(length)")
        }
    }

    @Test(arguments: notInTarget)
    func aBadByteAnywhereInTheTargetIsRefused(byte: UInt8) {
        for position in 1..<40 {
            var target = Array(("/" + String(repeating: "t", count: 40)).utf8)
            target[position] = byte
            let bytes = Array("GET ".utf8) + target + Array(" HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
            #expect(parse(bytes).refusal == .malformed, "byte \(byte) at \(position)")
        }
    }

    /// Leading and trailing OWS are not part of a value (RFC 9110 §5.5); inner SP, HTAB and
    /// obs-text are, whatever the value's length.
    @Test func valuesOfEveryLengthKeepInnerBytesAndLoseTrailingWhitespace() {
        for length in 0...50 {
            for trailing in ["", " ", "\t", " \t ", String(repeating: " ", count: 17)] {
                let value = Array(String(repeating: "x", count: length).utf8).enumerated().map { index, byte -> UInt8 in
                    switch index % 7 {
                    case 3: UInt8(ascii: " ")
                    case 5: 0x80 | UInt8(index)
                    default: byte
                    }
                }
                let visible = value.last == UInt8(ascii: " ") ? Array(value.dropLast()) : value
                let bytes = Array("GET / HTTP/1.1\r\nX:  ".utf8) + value + Array(trailing.utf8) + Array("\r\nHost: h\r\n\r\n".utf8)
                let whole = parse(bytes)
                #expect(whole.result == Int32(bytes.count), "length \(length) trailing \(trailing.debugDescription)")
                let offsets = whole.head?.fields.first ?? []
                let parsed = offsets.count == 4 ? Array(bytes[Int(offsets[2])..<Int(offsets[2] + offsets[3])]) : []
                #expect(parsed == visible, "length \(length) trailing \(trailing.debugDescription)")
                #expect(whole.fields.last == Field(name: "Host", value: "h"))
                #expect(parse(bytes, prefixLengths: Array(1..<bytes.count)) == whole, "length \(length)")
            }
        }
    }

    @Test(arguments: notInValue)
    func aBadByteAnywhereInAValueIsRefused(byte: UInt8) {
        for position in 0..<40 {
            var value = Array(String(repeating: "v", count: 40).utf8)
            value[position] = byte
            let bytes = Array("GET / HTTP/1.1\r\nX: ".utf8) + value + Array("\r\nHost: h\r\n\r\n".utf8)
            #expect(parse(bytes).refusal == .malformed, "byte \(byte) at \(position)")
        }
    }
}
