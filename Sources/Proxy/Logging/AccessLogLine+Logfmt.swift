/// The `logfmt` access-log format: `key=value` pairs separated by spaces, in this order:
///
/// `time=2026-12-06T05:00:00.123Z request_id=8f3a61c2d09b4e57 client=192.0.2.7:51234 method=GET`
/// `target=/v2/library/alpine/manifests/3.19?ns=docker.io status=200 bytes=1576 duration_ms=12.345`
/// `cache=hit upstream=docker.io`
///
/// A value that is empty or holds a space, `"`, `=` or a control byte is double-quoted with
/// `"` and `\` backslash-escaped and control bytes written as `\n`, `\r`, `\t` or `\xHH`
/// (``LogLineText/appendEscaped(_:quotingIfNeeded:to:)``, as on Cistern's other log lines),
/// so a hostile target can neither add a pair nor a line. `cache` is a ``CacheOutcome`` or
/// `none`, `upstream` is `-` when no upstream was chosen.
extension AccessLogLine {
    /// Appends the line as logfmt pairs (without a trailing newline) to `line`.
    func renderLogfmt(into line: inout [UInt8]) {
        line.append(contentsOf: "time=".utf8)
        appendTime(to: &line)
        line.append(contentsOf: " request_id=".utf8)
        switch requestID {
        case .generated: requestID.append(to: &line)  // hex digits
        case .received(let text): LogLineText.appendEscaped(text, quotingIfNeeded: true, to: &line)  // may hold `=`
        }
        line.append(contentsOf: " client=".utf8)
        LogLineText.appendEscaped(clientAddress, quotingIfNeeded: true, to: &line)
        line.append(contentsOf: " method=".utf8)
        LogLineText.appendEscaped(method, quotingIfNeeded: true, to: &line)
        line.append(contentsOf: " target=".utf8)
        LogLineText.appendEscaped(LogRedaction.target(path), quotingIfNeeded: true, to: &line)
        line.append(contentsOf: " status=".utf8)
        LogLineText.appendDecimal(status, to: &line)
        line.append(contentsOf: " bytes=".utf8)
        LogLineText.appendDecimal(bytesSent, to: &line)
        line.append(contentsOf: " duration_ms=".utf8)
        appendMilliseconds(duration, to: &line)
        line.append(contentsOf: " cache=".utf8)
        line.append(contentsOf: (cacheOutcome?.rawValue ?? "none").utf8)
        line.append(contentsOf: " upstream=".utf8)
        LogLineText.appendEscaped(upstreamName ?? "-", quotingIfNeeded: true, to: &line)
    }
}
