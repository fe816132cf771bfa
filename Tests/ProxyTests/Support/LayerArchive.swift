/// The bytes of one image layer: a POSIX ustar archive (POSIX.1-2001 `pax` spec, ustar format)
/// of regular files whose content is pseudo-random from a seed, and that archive wrapped in gzip
/// (RFC 1952) using stored deflate blocks (RFC 1951 §3.2.4, BTYPE=00).
///
/// Stored blocks keep the output deterministic for ever (no dependence on a gzip version) and
/// the compressed size predictable: `tarByteCount + 18 + 5 * ceil(tarByteCount / 65535)`.
/// Any gzip/tar reader accepts the result.
enum LayerArchive {
    /// A ustar archive holding `files` (path, byte count), each filled from `seed` and its index
    /// (mode 0644), then `executables` (path, exact contents; mode 0755, so a container runtime
    /// can run them). Paths must be relative and shorter than 100 bytes; uid/gid 0, mtime 0.
    static func tar(
        files: [(path: String, byteCount: Int)], seed: UInt64, executables: [(path: String, contents: [UInt8])] = []
    ) -> [UInt8] {
        var archive: [UInt8] = []
        archive.reserveCapacity(
            (files.map(\.byteCount) + executables.map(\.contents.count)).reduce(1024) { $0 + 512 + $1 + 511 })
        for (index, file) in files.enumerated() {
            archive += header(path: file.path, byteCount: file.byteCount, mode: "0000644")
            archive += pseudoRandomBytes(count: file.byteCount, seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            archive += [UInt8](repeating: 0, count: (512 - file.byteCount % 512) % 512)
        }
        for executable in executables {
            archive += header(path: executable.path, byteCount: executable.contents.count, mode: "0000755")
            archive += executable.contents
            archive += [UInt8](repeating: 0, count: (512 - executable.contents.count % 512) % 512)
        }
        archive += [UInt8](repeating: 0, count: 1024)  // two zero blocks end the archive
        return archive
    }

    /// `bytes` as a gzip member of stored deflate blocks, with CRC-32 and ISIZE trailer.
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        // ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=3 (Unix).
        var output: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
        output.reserveCapacity(bytes.count + bytes.count / 65535 * 5 + 32)
        var offset = 0
        repeat {
            let length = min(65535, bytes.count - offset)
            let isFinal = offset + length == bytes.count
            output.append(isFinal ? 1 : 0)  // BFINAL bit, BTYPE=00, then pad to the byte
            output += littleEndian(UInt32(length), byteCount: 2)
            output += littleEndian(UInt32(~UInt16(length)), byteCount: 2)
            output += bytes[offset..<offset + length]
            offset += length
        } while offset < bytes.count
        output += littleEndian(crc32(bytes), byteCount: 4)
        output += littleEndian(UInt32(truncatingIfNeeded: bytes.count), byteCount: 4)
        return output
    }

    /// Deterministic bytes from a SplitMix64 stream seeded with `seed`.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                state &+= 0x9E37_79B9_7F4A_7C15
                var word = state
                word = (word ^ (word >> 30)) &* 0xBF58_476D_1CE4_E5B9
                word = (word ^ (word >> 27)) &* 0x94D0_49BB_1331_11EB
                word ^= word >> 31
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
            initialized = count
        }
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected) as gzip's trailer uses it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        bytes.withUnsafeBufferPointer { buffer in
            for byte in buffer {
                crc = crcTable[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// One 512-byte ustar header for a regular file.
    private static func header(path: String, byteCount: Int, mode: String) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        precondition(path.utf8.count < 100, "ustar name field holds under 100 bytes")
        put(path, at: 0)
        put(mode, at: 100)  // octal permission bits
        put("0000000", at: 108)  // uid
        put("0000000", at: 116)  // gid
        put(octal(byteCount, width: 11), at: 124)
        put(octal(0, width: 11), at: 136)  // mtime
        put("        ", at: 148)  // checksum counts as spaces while summing
        put("0", at: 156)  // typeflag: regular file
        put("ustar", at: 257)
        put("00", at: 263)
        put("root", at: 265)
        put("root", at: 297)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 6), at: 148)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    private static func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func littleEndian(_ value: UInt32, byteCount: Int) -> [UInt8] {
        (0..<byteCount).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
