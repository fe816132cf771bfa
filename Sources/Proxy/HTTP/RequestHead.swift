import CEpoll

/// The parts of a client's request head that Cistern acts on, extracted once
/// from the C parser's offsets (RFC 9112 section 3, RFC 9110 sections 12, 13
/// and 14).
///
/// Only the fields the registry protocol needs are copied out; every other
/// field is ignored. `Authorization` is read for Cistern's own client authentication
/// (issue 17) and never copied into an upstream request or a log line.
public struct RequestHead: Sendable {
    public var method: HTTPMethod
    /// The request-target exactly as sent (origin-form expected).
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: Int
    /// Whether the connection may be reused after this exchange
    /// (RFC 9112 section 9.3).
    public var keepAlive: Bool
    /// Every `Accept` field value, in order (podman sends several lines).
    public var acceptValues: [String]
    /// The `Range` field value, if any; several `Range` lines are joined with commas (RFC 9110
    /// section 5.3), which no single-range parse accepts, so the whole blob is sent.
    public var range: String?
    /// The `If-None-Match` field value, if any.
    public var ifNoneMatch: String?
    /// The `If-Range` field value, if any (RFC 9110 section 13.1.5); several lines are
    /// comma-joined, which matches no validator.
    public var ifRange: String?
    /// The `X-Forwarded-For` field values joined, if any (Cistern appends
    /// the client's address when it asks the upstream).
    public var forwardedFor: String?
    /// The `Via` field values joined, if any (RFC 9110 section 7.6.3): the proxies the request
    /// passed, which is how a Cistern sees a request that already went through it (a loop).
    public var via: String?
    /// The `X-Request-ID` field value when it is a sane id (``RequestID/init(received:)``);
    /// nil when absent, repeated or not sane (Cistern then makes one).
    public var requestID: RequestID?
    /// Declared body framing: `Content-Length` (or -1) and chunked.
    public var contentLength: Int64
    public var chunked: Bool
    /// RFC 9112 section 3.2: false when the server MUST answer 400, for an HTTP/1.1 request
    /// without a `Host` field, or any request with more than one or with an invalid value
    /// (bytes other than an authority's, RFC 3986 section 3.2: unreserved, percent-encoded,
    /// sub-delims, ":" and the brackets of an IPv6 literal).
    public var hasValidHost: Bool
    /// The `Content-Type` field value of a request with a body (a pushed manifest's media
    /// type); only read for methods other than GET and HEAD, so pulls pay nothing for it.
    public var contentType: String?
    /// The `Content-Range` field value (a chunked upload's `<start>-<end>`, distribution-spec
    /// "Pushing a blob in chunks"); only read for methods other than GET and HEAD.
    public var contentRange: String?

    /// The `Authorization` field value (a Cistern token or Basic credential); nil when absent.
    /// Never forwarded upstream, never logged.
    public var authorization: String?
    /// The `Host` field value when there is exactly one (the base URL of the token realm).
    public var host: String?
    /// The `X-Forwarded-Proto` field value, believed only from a trusted proxy.
    public var forwardedProto: String?

    /// Whether a request body follows the head.
    public var hasBody: Bool { chunked || contentLength > 0 }

    /// Extracts the head from a completed parse of `buffer`.
    package init(parsed head: cep_http_head, buffer: UnsafeRawBufferPointer) {
        func slice(_ offset: UInt32, _ length: UInt32) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: buffer[Int(offset)..<Int(offset + length)])
        }
        method = HTTPMethod(token: slice(head.method_off, head.method_len))
        target = String(decoding: slice(head.target_off, head.target_len), as: UTF8.self)
        versionMinor = Int(head.version_minor)
        let close = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) != 0
        let keepAliveToken = head.flags & UInt32(CEP_HTTP_F_CONN_KEEPALIVE) != 0
        keepAlive = versionMinor >= 1 ? !close : (keepAliveToken && !close)
        contentLength = head.content_length
        chunked = head.flags & UInt32(CEP_HTTP_F_CHUNKED) != 0
        acceptValues = []
        range = nil
        ifNoneMatch = nil
        ifRange = nil
        forwardedFor = nil
        via = nil
        contentType = nil
        contentRange = nil
        authorization = nil
        host = nil
        forwardedProto = nil
        let readsUploadFields = method != .get && method != .head
        requestID = nil
        var requestIDFieldCount = 0
        var hostFieldCount = 0
        var hostValuesAreValid = true
        guard let fields = head.fields else {
            hasValidHost = versionMinor == 0
            return
        }
        for i in 0..<Int(head.field_count) {
            let field = fields[i]
            let name = slice(field.name_off, field.name_len)
            let value = slice(field.value_off, field.value_len)
            if HeaderName.equals(name, "accept") {
                acceptValues.append(String(decoding: value, as: UTF8.self))
            } else if HeaderName.equals(name, "range") {
                range = Self.joined(range, value)
            } else if HeaderName.equals(name, "if-none-match") {
                ifNoneMatch = String(decoding: value, as: UTF8.self)
            } else if HeaderName.equals(name, "if-range") {
                ifRange = Self.joined(ifRange, value)
            } else if HeaderName.equals(name, "x-forwarded-for") {
                forwardedFor = Self.joined(forwardedFor, value)
            } else if HeaderName.equals(name, "via") {
                via = Self.joined(via, value)
            } else if readsUploadFields && HeaderName.equals(name, "content-type") {
                contentType = String(decoding: value, as: UTF8.self)
            } else if readsUploadFields && HeaderName.equals(name, "content-range") {
                contentRange = String(decoding: value, as: UTF8.self)
            } else if HeaderName.equals(name, "x-request-id") {
                requestIDFieldCount += 1
                requestID = requestIDFieldCount == 1 ? RequestID(received: String(decoding: value, as: UTF8.self)) : nil
            } else if HeaderName.equals(name, "authorization") {
                authorization = String(decoding: value, as: UTF8.self)
            } else if HeaderName.equals(name, "x-forwarded-proto") {
                forwardedProto = String(decoding: value, as: UTF8.self)
            } else if HeaderName.equals(name, "host") {
                hostFieldCount += 1
                host = hostFieldCount == 1 ? String(decoding: value, as: UTF8.self) : nil
                if !value.allSatisfy(RequestHead.isAuthorityByte) { hostValuesAreValid = false }
            }
        }
        hasValidHost = hostValuesAreValid && (hostFieldCount == 1 || (hostFieldCount == 0 && versionMinor == 0))
    }
}

extension RequestHead {
    /// `earlier` and another line of the same field combined as one comma-separated value
    /// (RFC 9110 section 5.3).
    static func joined(_ earlier: String?, _ line: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: line, as: UTF8.self)
        return earlier.map { $0 + ", " + text } ?? text
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" / "%" / "!" / "$" / "&" / "'" / "(" / ")" / "*" /
    /// "+" / "," / ";" / "=" / ":" / "[" / "]" (RFC 3986 sections 2.2, 2.3, 3.2.2, 3.2.3).
    @inline(__always)
    static func isAuthorityByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"),
             UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["),
             UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }
}

/// Case-insensitive comparison of header field names (RFC 9110 section 5.1).
enum HeaderName {
    /// Whether `bytes` equals `lowercased` ignoring ASCII case; `lowercased`
    /// must already be lower-case.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for i in 0..<bytes.count {
            var c = bytes[i]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != expected[i] { return false }
        }
        return true
    }
}
