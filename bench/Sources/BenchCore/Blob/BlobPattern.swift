/// The 1 MiB of pseudo-random bytes every synthetic blob is cut from. Random-looking so that
/// nothing on the path (gzip, dedup) can shrink it; generated, never stored.
///
/// Immutable after creation; shared read-only between threads.
public final class BlobPattern: Sendable {
    /// Length of the pattern in bytes (a power of two).
    public static let byteCount = 1 << 20

    /// The process-wide pattern.
    public static let shared = BlobPattern()

    /// The pattern bytes.
    public let bytes: [UInt8]

    private init() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: BlobPattern.byteCount)
        bytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count {
                // xorshift64*: fast, and good enough that the bytes do not compress.
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                words[i] = state &* 0x2545_F491_4F6C_DD1D
            }
        }
        self.bytes = bytes
    }
}
