/// The 32 bytes of a SHA-256 hash as four big-endian words: the identity ``Digest`` hashes
/// and compares, decoded once when the digest is parsed or computed.
struct DigestWords: Hashable, Sendable {
    var w0: UInt64 = 0
    var w1: UInt64 = 0
    var w2: UInt64 = 0
    var w3: UInt64 = 0

    /// All zero: a SHA-512 digest, whose identity is its text.
    init() {}

    /// Validates `hex` as lowercase hex digits and, when `keep`, decodes its first 64 digits.
    /// Returns nil if any byte is not `[0-9a-f]` (upper case included: a digest's text is
    /// canonical).
    init?(lowerHex hex: some Collection<UInt8>, keep: Bool) {
        let decoded = hex.withContiguousStorageIfAvailable { Self.decode($0, keep: keep) }
            ?? Array(hex).withUnsafeBufferPointer { Self.decode($0, keep: keep) }
        guard let decoded else { return nil }
        self = decoded
    }

    /// Every digest of every request passes here, so the loop is branch-free per byte.
    private static func decode(_ hex: UnsafeBufferPointer<UInt8>, keep: Bool) -> DigestWords? {
        var invalid: UInt8 = 0
        var words = DigestWords()
        var index = 0
        if keep && hex.count >= 64 {
            words.w0 = word(hex, at: 0, invalid: &invalid)
            words.w1 = word(hex, at: 16, invalid: &invalid)
            words.w2 = word(hex, at: 32, invalid: &invalid)
            words.w3 = word(hex, at: 48, invalid: &invalid)
            index = 64
        }
        while index < hex.count {
            invalid |= nibble(hex[index]) >> 4
            index &+= 1
        }
        return invalid == 0 ? words : nil
    }

    @inline(__always)
    private static func word(_ hex: UnsafeBufferPointer<UInt8>, at start: Int, invalid: inout UInt8) -> UInt64 {
        var value: UInt64 = 0
        for index in start..<(start &+ 16) {
            let digit = nibble(hex[index])
            invalid |= digit >> 4
            value = value << 4 | UInt64(digit & 0x0F)
        }
        return value
    }

    /// The value of a lowercase hex digit, or 0xFF.
    @inline(__always)
    private static func nibble(_ byte: UInt8) -> UInt8 {
        let digit = byte &- UInt8(ascii: "0")
        let letter = byte &- UInt8(ascii: "a")
        return digit < 10 ? digit : letter < 6 ? letter &+ 10 : 0xFF
    }

    /// The first 32 bytes of a computed hash (at least 32), read as big-endian words.
    init(rawHash: UnsafeRawBufferPointer) {
        precondition(rawHash.count >= 32, "a SHA-256 hash has 32 bytes")
        w0 = UInt64(bigEndian: rawHash.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w1 = UInt64(bigEndian: rawHash.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: rawHash.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: rawHash.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }
}
