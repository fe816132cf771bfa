import ProxyHTTP

/// Byte-level text appenders for log and access-log lines: decimal numbers, zero-padded
/// fields and escaped strings, written straight into a `[UInt8]` line buffer without
/// Foundation or intermediate `String`s (these run once per request).
enum LogLineText {
    /// Appends `value` in decimal (a leading `-` when negative).
    static func appendDecimal(_ value: Int, to line: inout [UInt8]) {
        if value < 0 {
            line.append(UInt8(ascii: "-"))
            // Int.min has no positive counterpart; go through the magnitude.
            appendDecimal(value.magnitude, to: &line)
        } else {
            appendDecimal(UInt(value), to: &line)
        }
    }

    /// Appends `value` in decimal.
    static func appendDecimal(_ value: UInt, to line: inout [UInt8]) {
        var divisor: UInt = 1
        while value / divisor >= 10 { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            line.append(UInt8(ascii: "0") + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }

    /// Appends a non-negative `value` left-padded with zeros to `width` digits
    /// (wider values are written in full).
    static func appendZeroPadded(_ value: Int, width: Int, to line: inout [UInt8]) {
        var digitCount = 1
        var scaled = value
        while scaled >= 10 {
            scaled /= 10
            digitCount += 1
        }
        if digitCount < width {
            line.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digitCount))
        }
        appendDecimal(value, to: &line)
    }

    /// Appends `text` so that it stays one field on one line: control bytes become
    /// `\n`, `\r`, `\t` or `\xHH`. With `quotingIfNeeded`, text that is empty or holds a
    /// space, `"`, `=` or control byte is wrapped in double quotes with `"` and `\`
    /// backslash-escaped (logfmt convention), so `key=value` pairs split unambiguously.
    static func appendEscaped(_ text: String, quotingIfNeeded: Bool, to line: inout [UInt8]) {
        let needsQuotes = quotingIfNeeded && (text.isEmpty || text.utf8.contains { byte in
            byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=")
        })
        if needsQuotes { line.append(UInt8(ascii: "\"")) }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\"") where needsQuotes, UInt8(ascii: "\\") where needsQuotes:
                line.append(UInt8(ascii: "\\"))
                line.append(byte)
            case 0..<0x20, 0x7F:
                appendEscapedByte(byte, to: &line)
            default:
                line.append(byte)
            }
        }
        if needsQuotes { line.append(UInt8(ascii: "\"")) }
    }

    /// Appends `byte` as `\n`, `\r`, `\t`, or `\xHH` (uppercase hex) for any other byte.
    static func appendEscapedByte(_ byte: UInt8, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\n"): line.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): line.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): line.append(UInt8(ascii: "t"))
        default:
            line.append(UInt8(ascii: "x"))
            line.append(hexDigit(byte >> 4))
            line.append(hexDigit(byte & 0xF))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}
