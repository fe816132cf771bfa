/// Byte-level JSON writers for log lines (RFC 8259), without Foundation: string values
/// escaped so that no request data can end the string, the object or the line.
enum JSONText {
    /// Appends `text` as a JSON string with its quotes: `"` and `\` backslash-escaped,
    /// control characters (U+0000–U+001F) and DEL as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`,
    /// every other character as its UTF-8 bytes (`/` is not escaped). A Swift `String` is
    /// valid UTF-8 by construction (bytes read from the wire were decoded with U+FFFD for
    /// invalid sequences), so the output is valid UTF-8 JSON.
    static func appendString(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                line.append(UInt8(ascii: "\\"))
                line.append(byte)
            case UInt8(ascii: "\n"):
                appendEscape(UInt8(ascii: "n"), to: &line)
            case UInt8(ascii: "\r"):
                appendEscape(UInt8(ascii: "r"), to: &line)
            case UInt8(ascii: "\t"):
                appendEscape(UInt8(ascii: "t"), to: &line)
            case 0x08:
                appendEscape(UInt8(ascii: "b"), to: &line)
            case 0x0C:
                appendEscape(UInt8(ascii: "f"), to: &line)
            case 0..<0x20, 0x7F:
                appendUnicodeEscape(byte, to: &line)
            default:
                line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// Appends `"key":` (the key must need no escaping: Cistern's own field names).
    static func appendKey(_ key: StaticString, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        line.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        line.append(UInt8(ascii: "\""))
        line.append(UInt8(ascii: ":"))
    }

    /// `\u00XX` for a byte below 0x80.
    private static func appendUnicodeEscape(_ byte: UInt8, to line: inout [UInt8]) {
        appendEscape(UInt8(ascii: "u"), to: &line)
        line.append(UInt8(ascii: "0"))
        line.append(UInt8(ascii: "0"))
        line.append(hexDigit(byte >> 4))
        line.append(hexDigit(byte & 0xF))
    }

    /// `\` followed by `letter`.
    private static func appendEscape(_ letter: UInt8, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\\"))
        line.append(letter)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
