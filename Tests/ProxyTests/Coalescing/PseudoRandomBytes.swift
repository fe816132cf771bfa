/// Deterministic pseudo-random blob contents for tests (xorshift64*): cheap to make in a
/// debug build, incompressible, and different for every seed, so one test's blob never
/// matches another's digest.
enum PseudoRandomBytes {
    /// `byteCount` bytes from the xorshift64* stream started at `seed` (0 is replaced by 1,
    /// since xorshift never leaves 0).
    static func make(byteCount: Int, seed: UInt64) -> [UInt8] {
        var state = seed == 0 ? 1 : seed
        var bytes = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < byteCount {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                var word = state &* 0x2545_F491_4F6C_DD1D
                let take = min(8, byteCount - offset)
                withUnsafeBytes(of: &word) { raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: take) }
                offset += take
            }
        }
        return bytes
    }
}
