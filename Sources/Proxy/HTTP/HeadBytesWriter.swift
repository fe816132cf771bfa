import Glibc

/// Writes a message head into raw memory that the caller sized for it: each piece is a
/// `memcpy`-sized copy with no capacity check or uniqueness test per piece, which is what an
/// `Array.append(contentsOf:)` per field cost the response path (about 100 instructions per
/// call, 16 calls per blob response).
///
/// The caller computes an upper bound of the bytes first; writing past it is a programming
/// error and traps.
struct HeadBytesWriter {
    private let base: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    private(set) var count = 0

    init(_ base: UnsafeMutableRawBufferPointer) {
        self.base = base
    }

    /// The bytes written so far.
    var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[..<count]) }

    mutating func byte(_ value: UInt8) {
        precondition(count < base.count, "a head outgrew the bytes reserved for it")
        base[count] = value
        count += 1
    }

    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        guard let from = source.baseAddress, !source.isEmpty else { return }
        precondition(source.count <= base.count - count, "a head outgrew the bytes reserved for it")
        (base.baseAddress! + count).copyMemory(from: from, byteCount: source.count)
        count += source.count
    }

    mutating func literal(_ text: StaticString) {
        bytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func text(_ text: String) {
        var text = text
        text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    /// A field value with any CR or LF left out (one scan, then one copy in the usual case
    /// of neither), so no value can end a field line early.
    mutating func fieldValue(_ text: String) {
        var text = text
        text.withUTF8 { value in
            let raw = UnsafeRawBufferPointer(value)
            if let start = raw.baseAddress, memchr(start, 0x0D, raw.count) != nil || memchr(start, 0x0A, raw.count) != nil {
                for byte in value where byte != 0x0D && byte != 0x0A { self.byte(byte) }
            } else {
                bytes(raw)
            }
        }
    }

    /// The decimal digits of a non-negative `value` (at most 19).
    mutating func decimal(_ value: Int64) {
        precondition(value >= 0, "a negative number in a head")
        var digits = 1
        var power: Int64 = 10
        while digits < 19, value >= power {
            digits += 1
            power &*= 10
        }
        precondition(digits <= base.count - count, "a head outgrew the bytes reserved for it")
        var remaining = value
        for index in stride(from: count + digits - 1, through: count, by: -1) {
            base[index] = UInt8(0x30 + remaining % 10)
            remaining /= 10
        }
        count += digits
    }
}
