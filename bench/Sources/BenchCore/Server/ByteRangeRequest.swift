/// A single-range `Range: bytes=…` request (RFC 9110 section 14.1.2), resolved against a
/// representation of known length. Multiple ranges are not served (the field is ignored, as
/// RFC 9110 section 14.2 allows).
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable Range field: serve the whole representation (200).
    case whole
    /// Serve these bytes (206); lower bound inclusive, upper exclusive.
    case partial(Range<Int64>)
    /// 416: the first byte position is at or beyond the end.
    case unsatisfiable

    /// Resolves `value` (the Range field value, nil when absent) against `length` bytes.
    /// `bytes=a-b`, `bytes=a-` and `bytes=-n` (suffix) are understood; anything else is
    /// ignored (`.whole`).
    public static func resolve(_ value: String?, length: Int64) -> ByteRangeRequest {
        guard let value, value.hasPrefix("bytes="), !value.contains(",") else { return .whole }
        let spec = value.dropFirst("bytes=".count)
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash]
        let lastText = spec[spec.index(after: dash)...]
        if firstText.isEmpty {
            guard let suffix = Int64(lastText), suffix >= 0 else { return .whole }
            if suffix == 0 || length == 0 { return .unsatisfiable }
            return .partial(max(0, length - suffix)..<length)
        }
        guard let first = Int64(firstText), first >= 0 else { return .whole }
        let last: Int64
        if lastText.isEmpty {
            last = length - 1
        } else {
            guard let parsed = Int64(lastText), parsed >= first else { return .whole }
            last = min(parsed, length - 1)
        }
        if first >= length { return .unsatisfiable }
        return .partial(first..<(last + 1))
    }
}
