/// A single byte range from a `Range` request header (RFC 9110 section 14.1.2 and 14.2):
/// `bytes=first-last`, `bytes=first-` or `bytes=-suffixLength`.
///
/// Only one range is served. A header with several ranges, another unit, or invalid syntax
/// (including `last < first`) parses to nil and the caller serves the whole representation
/// with 200: RFC 9110 section 14.2 lets a server ignore `Range`, and requires ignoring an
/// unknown unit. Numbers too large for `Int64` saturate at `Int64.max`, which resolves the
/// same as the true value would for any representation this process can hold.
public enum ByteRange: Hashable, Sendable {
    /// `first-last` (int-range with last-pos): bytes `first...last`, `first <= last`.
    case closed(first: Int64, last: Int64)
    /// `first-` (int-range without last-pos): from `first` to the end.
    case from(first: Int64)
    /// `-suffixLength` (suffix-range): the final `suffixLength` bytes.
    case suffix(length: Int64)

    /// What a range selects from a representation of known size (RFC 9110 section 14.1.1).
    public enum Resolved: Hashable, Sendable {
        /// Serve 206 with `Content-Range: bytes first-last/size`; `0 <= first <= last < size`.
        case satisfiable(first: Int64, last: Int64)
        /// Serve 416 with `Content-Range: bytes */size`.
        case unsatisfiable
        /// Serve the whole representation with 200, as if there were no `Range`: only for a
        /// suffix-range on an empty representation, which RFC 9110 calls satisfiable but no
        /// `Content-Range` can describe (it has no first or last byte).
        case wholeRepresentation
    }

    /// Parses a `Range` field value, e.g. `bytes=0-499`. OWS around the value and empty list
    /// elements are tolerated (RFC 9110 section 5.6.1); the unit is case-insensitive.
    /// - Returns: nil when the header should be ignored (see the type's documentation).
    public static func parse(_ value: some Collection<UInt8>) -> ByteRange? {
        guard let equals = value.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let unit = value[..<equals].trimmingOWS()
        guard unit.count == 5, zip(unit, "bytes".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var single: ByteRange?
        for element in value[value.index(after: equals)...].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let spec = element.trimmingOWS()
            if spec.isEmpty { continue }
            guard single == nil, let range = parseRangeSpec(spec) else { return nil }
            single = range
        }
        return single
    }

    /// Parses a `Range` field value given as text; same rules as the byte form.
    public static func parse(_ value: String) -> ByteRange? {
        parse(value.utf8)
    }

    /// Applies the range to a representation of `size` bytes (RFC 9110 section 14.1.1 and
    /// 14.1.2): a last-pos at or past the end is clipped to `size - 1`; a first-pos at or past
    /// the end is unsatisfiable; `-0` is unsatisfiable; a suffix longer than the
    /// representation selects all of it.
    /// - Precondition: `size >= 0`.
    public func resolve(size: Int64) -> Resolved {
        precondition(size >= 0, "representation size must not be negative")
        switch self {
        case .closed(let first, let last):
            return first < size ? .satisfiable(first: first, last: min(last, size - 1)) : .unsatisfiable
        case .from(let first):
            return first < size ? .satisfiable(first: first, last: size - 1) : .unsatisfiable
        case .suffix(let length):
            if length == 0 { return .unsatisfiable }
            if size == 0 { return .wholeRepresentation }
            return .satisfiable(first: size - min(length, size), last: size - 1)
        }
    }

    /// `int-range = first-pos "-" [ last-pos ]` / `suffix-range = "-" suffix-length`.
    private static func parseRangeSpec<Spec: Collection<UInt8>>(_ spec: Spec) -> ByteRange? {
        guard let dash = spec.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let firstDigits = spec[..<dash]
        let lastDigits = spec[spec.index(after: dash)...]
        if firstDigits.isEmpty {
            guard let length = decimal(lastDigits) else { return nil }
            return .suffix(length: length)
        }
        guard let first = decimal(firstDigits) else { return nil }
        if lastDigits.isEmpty { return .from(first: first) }
        guard let last = decimal(lastDigits), last >= first else { return nil }
        return .closed(first: first, last: last)
    }

    /// `1*DIGIT` as a saturating Int64; nil for empty or non-digit input.
    private static func decimal(_ digits: some Collection<UInt8>) -> Int64? {
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            value = overflow1 || overflow2 ? Int64.max : sum
        }
        return value
    }
}
