extension RegistryError {
    /// The response body for this error, UTF-8 JSON in the distribution-spec "Error Codes"
    /// shape: `{"errors":[{"code":"…","message":"…","detail":"…"}]}`; `detail` is left out
    /// when nil. Strings are escaped per RFC 8259 section 7, so any message or detail (even one
    /// echoing a hostile request) yields valid JSON. Send with `Content-Type: application/json`.
    public func jsonBody() -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + code.rawValue.utf8.count + message.utf8.count + (detail?.utf8.count ?? 0))
        body.append(contentsOf: #"{"errors":[{"code":"#.utf8)
        Self.appendJSONString(code.rawValue, to: &body)
        body.append(contentsOf: #","message":"#.utf8)
        Self.appendJSONString(message, to: &body)
        if let detail {
            body.append(contentsOf: #","detail":"#.utf8)
            Self.appendJSONString(detail, to: &body)
        }
        body.append(contentsOf: "}]}".utf8)
        return body
    }

    /// Appends `text` as a JSON string literal (with quotes). Escapes `"` and `\` and every
    /// control character below U+0020 as `\u00XX`, the only characters RFC 8259 requires to
    /// be escaped; all other UTF-8 passes through unchanged.
    static func appendJSONString(_ text: String, to body: inout [UInt8]) {
        let hexDigits: StaticString = "0123456789abcdef"
        body.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                body.append(UInt8(ascii: "\\"))
                body.append(byte)
            case 0x00..<0x20:
                body.append(contentsOf: #"\u00"#.utf8)
                hexDigits.withUTF8Buffer { digits in
                    body.append(digits[Int(byte >> 4)])
                    body.append(digits[Int(byte & 0x0F)])
                }
            default:
                body.append(byte)
            }
        }
        body.append(UInt8(ascii: "\""))
    }
}
