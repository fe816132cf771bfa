/// The `json` access-log format: one JSON object (RFC 8259) per line, keys in this order:
///
/// `{"time":"2026-12-06T05:00:00.123Z","request_id":"8f3a61c2d09b4e57","client":"192.0.2.7:51234",`
/// `"method":"GET","target":"/v2/library/alpine/manifests/3.19?ns=docker.io","status":200,`
/// `"bytes":1576,"duration_ms":12.345,"cache":"hit","upstream":"docker.io"}`
///
/// `status`, `bytes` and `duration_ms` are numbers; `cache` is a ``CacheOutcome`` or `"none"`;
/// `upstream` is `null` when no upstream was chosen. Strings are escaped by ``JSONText``
/// (quotes, backslashes and control bytes; `/` is never escaped), so a hostile target stays
/// inside its string and the line stays one line. The target is redacted as in every format.
extension AccessLogLine {
    /// Appends the line as one JSON object (without a trailing newline) to `line`.
    func renderJSON(into line: inout [UInt8]) {
        line.append(UInt8(ascii: "{"))
        JSONText.appendKey("time", to: &line)
        line.append(UInt8(ascii: "\""))
        appendTime(to: &line)
        line.append(UInt8(ascii: "\""))
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("request_id", to: &line)
        line.append(UInt8(ascii: "\""))
        requestID.append(to: &line)  // letters, digits and -._~+/=: only: nothing to escape
        line.append(UInt8(ascii: "\""))
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("client", to: &line)
        JSONText.appendString(clientAddress, to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("method", to: &line)
        JSONText.appendString(method, to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("target", to: &line)
        JSONText.appendString(LogRedaction.target(path), to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("status", to: &line)
        LogLineText.appendDecimal(status, to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("bytes", to: &line)
        LogLineText.appendDecimal(bytesSent, to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("duration_ms", to: &line)
        appendMilliseconds(duration, to: &line)
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("cache", to: &line)
        line.append(UInt8(ascii: "\""))
        line.append(contentsOf: (cacheOutcome?.rawValue ?? "none").utf8)
        line.append(UInt8(ascii: "\""))
        line.append(UInt8(ascii: ","))
        JSONText.appendKey("upstream", to: &line)
        if let upstreamName {
            JSONText.appendString(upstreamName, to: &line)
        } else {
            line.append(contentsOf: "null".utf8)
        }
        line.append(UInt8(ascii: "}"))
    }
}
