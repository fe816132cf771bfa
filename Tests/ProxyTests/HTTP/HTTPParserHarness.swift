import CEpoll

// The C head parser driven from Swift, for HTTPParserTests and HTTPParserScanTests.

/// Which start line the parser expects (RFC 9112 sections 3 and 4).
enum StartLine: Sendable { case request, response }

/// Why the parser refused a head: `cep_http_error` as a Swift value.
enum Refusal: UInt32, Sendable {
    case malformed = 1, lineTooLong, headTooLarge, tooManyHeaders, badFraming, transferEncoding, version
}

struct Field: Equatable { let name: String, value: String }

/// What one parse produced, copied out of `cep_http_head` as plain values.
struct ParsedHead: Equatable {
    var result: Int32
    var refusal: Refusal?
    var method = "", target = "", reason = ""
    var status: Int32 = 0, versionMinor: Int32 = 0
    var fields: [Field] = []
    var contentLength: Int64 = 0
    var flags: UInt32 = 0
    var head: HeadOffsets?
}

/// The raw offsets, for tests that check where the parser points.
struct HeadOffsets: Equatable {
    let methodOffset, targetOffset: UInt32
    let fields: [[UInt32]]  // name_off, name_len, value_off, value_len
}

extension ParsedHead {
    init(_ head: cep_http_head, _ bytes: [UInt8], result: Int32) {
        self.result = result
        guard result > 0 else {
            refusal = result == CEP_HTTP_INVALID ? Refusal(rawValue: head.error.rawValue) : nil
            return
        }
        func text(_ offset: UInt32, _ length: UInt32) -> String {
            String(decoding: bytes[Int(offset)..<Int(offset + length)], as: UTF8.self)
        }
        let raw = (0..<Int(head.field_count)).map { head.fields[$0] }
        method = text(head.method_off, head.method_len)
        target = text(head.target_off, head.target_len)
        reason = text(head.reason_off, head.reason_len)
        status = head.status
        versionMinor = head.version_minor
        fields = raw.map { Field(name: text($0.name_off, $0.name_len), value: text($0.value_off, $0.value_len)) }
        contentLength = head.content_length
        flags = head.flags
        self.head = HeadOffsets(
            methodOffset: head.method_off, targetOffset: head.target_off,
            fields: raw.map { [$0.name_off, $0.name_len, $0.value_off, $0.value_len] })
    }
}

func feed(_ head: inout cep_http_head, _ bytes: [UInt8], _ startLine: StartLine) -> Int32 {
    bytes.withUnsafeBufferPointer { raw in
        raw.withMemoryRebound(to: CChar.self) { buf in
            switch startLine {
            case .request: cep_http_parse_request(&head, buf.baseAddress, buf.count)
            case .response: cep_http_parse_response(&head, buf.baseAddress, buf.count)
            }
        }
    }
}

/// Parses `bytes` with a fresh parser, offering first each prefix in `prefixLengths` (each a
/// fresh copy, so the buffer moves between calls) and then the whole input.
func parse(
    _ bytes: [UInt8], as startLine: StartLine = .request, prefixLengths: [Int] = [], fieldsCapacity: Int = 100
) -> ParsedHead {
    let storage = UnsafeMutablePointer<cep_http_field>.allocate(capacity: max(fieldsCapacity, 1))
    defer { storage.deallocate() }
    var head = cep_http_head()
    head.fields = storage
    head.fields_cap = UInt32(fieldsCapacity)
    cep_http_reset(&head)
    var result = CEP_HTTP_PARTIAL
    for length in prefixLengths + [bytes.count] where result == CEP_HTTP_PARTIAL {
        result = feed(&head, Array(bytes[..<length]), startLine)
    }
    return ParsedHead(head, bytes, result: result)
}

func parse(_ text: String, as startLine: StartLine = .request, fieldsCapacity: Int = 100) -> ParsedHead {
    parse(Array(text.utf8), as: startLine, fieldsCapacity: fieldsCapacity)
}

