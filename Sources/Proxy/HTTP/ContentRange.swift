/// A `Content-Range` field value of a 206 with one part (RFC 9110 section 14.4):
/// `bytes first-last/complete-length`, e.g. `bytes 1048576-4194303/4194304`.
///
/// Invariant: `0 <= first <= last < size`. An unsatisfied-range form (`bytes */size`), an
/// unknown complete length (`/*`), another unit or any other syntax parses to nil.
public struct ContentRange: Hashable, Sendable {
    public let first: Int64
    public let last: Int64
    /// The complete length of the representation, in bytes.
    public let size: Int64

    public init?(first: Int64, last: Int64, size: Int64) {
        guard first >= 0, first <= last, last < size else { return nil }
        self.first = first
        self.last = last
        self.size = size
    }

    /// Parses a field value; the unit is case-insensitive, OWS around the value is ignored.
    public static func parse(_ value: String) -> ContentRange? {
        let bytes = Array(value.utf8).trimmingOWS()
        guard bytes.count > 6, zip(bytes.prefix(6), "bytes ".utf8).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) else { return nil }
        let rest = bytes.dropFirst(6)
        guard let dash = rest.firstIndex(of: UInt8(ascii: "-")), let slash = rest.firstIndex(of: UInt8(ascii: "/")), dash < slash,
              let first = number(rest[rest.startIndex..<dash]), let last = number(rest[(dash + 1)..<slash]),
              let size = number(rest[(slash + 1)...])
        else { return nil }
        return ContentRange(first: first, last: last, size: size)
    }

    /// A non-empty run of ASCII digits as an `Int64`; nil for anything else or an overflow.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        return value
    }
}
