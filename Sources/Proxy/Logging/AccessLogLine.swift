import Glibc
import ProxyHTTP
import ProxyMetrics

/// One client request as the access log records it, rendered as one line in an
/// ``AccessLogFormat``. In the `text` format (``render(into:)``) the fields are space-separated
/// in a fixed order (so `awk '{print $5}'` is the status):
///
/// `<time> <client> <method> <target> <status> <bytes-sent> <duration-ms> <cache> <upstream> <request-id>`
///
/// e.g. `2026-12-06T05:00:00.123Z 192.0.2.7:51234 GET /v2/library/alpine/manifests/3.19?ns=docker.io 200 1576 12.345 hit docker.io 8f3a61c2d09b4e57`.
/// Time is when the response ended, RFC 3339 UTC with milliseconds (as on every other log
/// line). The target's credential-like query values are redacted (``LogRedaction``). Duration is milliseconds with exactly three decimals (microsecond resolution, rounded);
/// cache is a ``CacheOutcome`` or `none`; upstream is `-` when no upstream was chosen.
/// Control bytes and spaces inside fields are escaped (`\xHH`, `\n`) so a hostile request
/// target cannot forge a second line or shift the fields. The `json` and `logfmt` formats
/// carry the same facts under names (`+JSON`, `+Logfmt`). No Foundation; one buffer.
public struct AccessLogLine: Sendable, Equatable {
    /// Peer address as text, e.g. `192.0.2.7:51234` or `[2001:db8::1]:51234`.
    public var clientAddress: String
    /// Request method as received (`GET`, `HEAD`, …).
    public var method: String
    /// Request target as received (origin-form path and query, RFC 9112 §3.2.1).
    public var path: String
    /// Response status code sent (or 0 if the connection closed before a response head).
    public var status: Int
    /// Body bytes written to the client (excluding the response head).
    public var bytesSent: Int
    /// Time from the request head's arrival to the last response byte written.
    public var duration: Duration
    /// How the store took part; nil renders as `none` (e.g. a request rejected before routing).
    public var cacheOutcome: CacheOutcome?
    /// ``UpstreamConfiguration/name`` the request was routed to; nil renders as `-`.
    public var upstreamName: String?
    /// When the response ended: wall-clock nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    public var endedAtUnixNanoseconds: Int64
    /// The request's id (the client's `X-Request-ID` or one Cistern made).
    public var requestID: RequestID

    /// Creates a line from the request's facts.
    public init(
        clientAddress: String, method: String, path: String, status: Int, bytesSent: Int,
        duration: Duration, cacheOutcome: CacheOutcome?, upstreamName: String?, endedAtUnixNanoseconds: Int64,
        requestID: RequestID
    ) {
        self.endedAtUnixNanoseconds = endedAtUnixNanoseconds
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.method = method
        self.path = path
        self.status = status
        self.bytesSent = bytesSent
        self.duration = duration
        self.cacheOutcome = cacheOutcome
        self.upstreamName = upstreamName
    }

    /// Appends the line in `format` (without a trailing newline) to `line`.
    public func render(into line: inout [UInt8], format: AccessLogFormat) {
        switch format {
        case .text: render(into: &line)
        case .json: renderJSON(into: &line)
        case .logfmt: renderLogfmt(into: &line)
        }
    }

    /// Appends the line in the `text` format (without a trailing newline) to `line`.
    public func render(into line: inout [UInt8]) {
        appendTime(to: &line)
        line.append(UInt8(ascii: " "))
        appendField(clientAddress, to: &line)
        line.append(UInt8(ascii: " "))
        appendField(method, to: &line)
        line.append(UInt8(ascii: " "))
        appendField(LogRedaction.target(path), to: &line)
        line.append(UInt8(ascii: " "))
        LogLineText.appendDecimal(status, to: &line)
        line.append(UInt8(ascii: " "))
        LogLineText.appendDecimal(bytesSent, to: &line)
        line.append(UInt8(ascii: " "))
        appendMilliseconds(duration, to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: (cacheOutcome?.rawValue ?? "none").utf8)
        line.append(UInt8(ascii: " "))
        appendField(upstreamName ?? "-", to: &line)
        line.append(UInt8(ascii: " "))
        requestID.append(to: &line)
    }

    /// Appends ``endedAtUnixNanoseconds`` as RFC 3339 UTC with milliseconds.
    func appendTime(to line: inout [UInt8]) {
        let time = timespec(
            tv_sec: Int(endedAtUnixNanoseconds / 1_000_000_000), tv_nsec: Int(endedAtUnixNanoseconds % 1_000_000_000))
        StderrLogHandler.appendTimestamp(time, to: &line)
    }

    /// The rendered line as a `String` (for a `Logger` message and tests).
    public func text(format: AccessLogFormat = .text) -> String {
        var line: [UInt8] = []
        line.reserveCapacity(160 + path.utf8.count)
        render(into: &line, format: format)
        return String(decoding: line, as: UTF8.self)
    }

    /// A field that must not contain a space; empty renders as `-`.
    private func appendField(_ field: String, to line: inout [UInt8]) {
        if field.isEmpty {
            line.append(UInt8(ascii: "-"))
            return
        }
        for byte in field.utf8 {
            if byte <= UInt8(ascii: " ") || byte == 0x7F {
                LogLineText.appendEscapedByte(byte, to: &line)
            } else {
                line.append(byte)
            }
        }
    }

    /// `<ms>.<µs>` with exactly three decimals, rounded to the nearest microsecond.
    func appendMilliseconds(_ duration: Duration, to line: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        let roundedMicroseconds = max(0, seconds * 1_000_000 + (attoseconds + 500_000_000_000) / 1_000_000_000_000)
        LogLineText.appendDecimal(Int(roundedMicroseconds / 1000), to: &line)
        line.append(UInt8(ascii: "."))
        LogLineText.appendZeroPadded(Int(roundedMicroseconds % 1000), width: 3, to: &line)
    }
}
