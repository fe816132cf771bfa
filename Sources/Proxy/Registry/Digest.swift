/// A registered content-digest algorithm (OCI image-spec descriptor.md, "Registered algorithms").
public enum DigestAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// SHA-256; encoded as 64 lowercase hex characters.
    case sha256
    /// SHA-512; encoded as 128 lowercase hex characters.
    case sha512

    /// Number of characters of the encoded (lowercase hex) part.
    public var hexLength: Int {
        switch self {
        case .sha256: 64
        case .sha512: 128
        }
    }
}

/// A content digest `algorithm ":" encoded` (OCI image-spec descriptor.md, "Digests"), limited
/// to the registered algorithms whose content this proxy can verify.
///
/// Invariant: `hex` is exactly `algorithm.hexLength` characters of `[0-9a-f]`, so it is safe as
/// a file name and `string` is the canonical form (equal digests have equal strings).
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    /// The hash algorithm.
    public let algorithm: DigestAlgorithm
    /// The encoded part: lowercase hex of the hash, `algorithm.hexLength` characters.
    public let hex: String
    /// The raw SHA-256 hash as four big-endian words (all zero for SHA-512, whose identity is
    /// `hex`). Every request on a hit looks its digest up in several tables: hashing these
    /// 32 bytes costs a quarter of hashing the 64-character text, and all of them go into
    /// the hash, so digests a client makes up cannot be chosen to collide.
    let words: DigestWords

    /// Parses the bytes of a digest such as `sha256:<64 hex>`.
    ///
    /// The image-spec grammar is `algorithm ":" encoded` with
    /// `algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*` and `encoded ::= [a-zA-Z0-9=_-]+`;
    /// registered algorithms further require lowercase hex of the exact length.
    /// - Throws: `DIGEST_INVALID` (400) for an empty or malformed digest, an algorithm that is
    ///   not `sha256`/`sha512` (it could not be verified), upper-case hex, or a wrong length.
    public init(parsing bytes: some Collection<UInt8>) throws(RegistryError) {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            throw .digestInvalid("digest must have the form algorithm:encoded")
        }
        let algorithmBytes = bytes[..<colon]
        let encodedBytes = bytes[bytes.index(after: colon)...]
        guard Self.isAlgorithmGrammar(algorithmBytes) else {
            throw .digestInvalid("malformed digest algorithm")
        }
        let algorithm: DigestAlgorithm
        if bytesEqual(algorithmBytes, "sha256") {
            algorithm = .sha256
        } else if bytesEqual(algorithmBytes, "sha512") {
            algorithm = .sha512
        } else {
            throw .digestInvalid("unsupported digest algorithm")
        }
        guard encodedBytes.count == algorithm.hexLength,
              let words = DigestWords(lowerHex: encodedBytes, keep: algorithm == .sha256) else {
            throw .digestInvalid("\(algorithm.rawValue) digest needs \(algorithm.hexLength) lowercase hex characters")
        }
        self.algorithm = algorithm
        self.hex = String(decoding: encodedBytes, as: UTF8.self)
        self.words = words
    }

    /// Parses a digest string with the same rules as the byte initializer.
    /// - Throws: `DIGEST_INVALID` (400).
    public init(parsing text: String) throws(RegistryError) {
        try self.init(parsing: text.utf8)
    }

    /// Builds the digest of a computed hash.
    /// - Precondition: `rawHash` has `algorithm.hexLength / 2` bytes (32 for SHA-256).
    public init(algorithm: DigestAlgorithm, rawHash: some Collection<UInt8>) {
        self = Array(rawHash).withUnsafeBytes { Digest(algorithm: algorithm, rawHash: $0) }
    }

    /// Same, from bytes in memory without copying them: rebuilding the cache index makes a
    /// million of these, so the text is written in place.
    public init(algorithm: DigestAlgorithm, rawHash: UnsafeRawBufferPointer) {
        precondition(rawHash.count * 2 == algorithm.hexLength, "hash length does not match the algorithm")
        self.algorithm = algorithm
        self.hex = lowerHexText(rawHash)
        self.words = algorithm == .sha256 ? DigestWords(rawHash: rawHash) : DigestWords()
    }

    /// Equal digests have equal algorithms and hashes. For SHA-256 the words are the whole
    /// hash, so the text need not be compared.
    public static func == (lhs: Digest, rhs: Digest) -> Bool {
        guard lhs.algorithm == rhs.algorithm, lhs.words == rhs.words else { return false }
        return lhs.algorithm == .sha256 || lhs.hex == rhs.hex
    }

    public func hash(into hasher: inout Hasher) {
        switch algorithm {
        case .sha256: words.hash(into: &hasher)
        case .sha512: hasher.combine(hex)
        }
    }

    /// Canonical form `algorithm:hex`, as used in URLs and `Docker-Content-Digest`.
    public var string: String { "\(algorithm.rawValue):\(hex)" }

    /// Same as ``string``.
    public var description: String { string }

    /// The two halves of the text `algorithm:hex`, as `ResponseHead.contentDigest` writes them.
    public var halves: (algorithm: String, hex: String) { (algorithm.rawValue, hex) }

    /// Names for an on-disk layout such as `blobs/<algorithm>/<hex>`. Both parts contain only
    /// `[a-z0-9]`, so they can never form `..`, a separator or a hidden file.
    public var pathComponents: (algorithm: String, hex: String) { (algorithm.rawValue, hex) }

    /// True when `bytes` match the image-spec `algorithm` production.
    static func isAlgorithmGrammar(_ bytes: some Collection<UInt8>) -> Bool {
        var expectsComponentByte = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                expectsComponentByte = false
            case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                if expectsComponentByte { return false }
                expectsComponentByte = true
            default:
                return false
            }
        }
        return !expectsComponentByte
    }

}

/// `raw` as lowercase hex text, two digits a byte: a digest's encoded part.
func lowerHexText(_ raw: UnsafeRawBufferPointer) -> String {
    String(unsafeUninitializedCapacity: raw.count * 2) { text in
        // Raw pointers and a pair table: a debug build (the tests) pays a call for every
        // buffer subscript and iterator step, and a restart makes a million of these.
        guard let source = raw.baseAddress, let target = text.baseAddress else { return 0 }
        let pairs = hexPairs
        var index = 0
        while index < raw.count {
            let byte = Int(source.load(fromByteOffset: index, as: UInt8.self))
            UnsafeMutableRawPointer(target).storeBytes(of: pairs[byte], toByteOffset: index &* 2, as: UInt16.self)
            index &+= 1
        }
        return raw.count * 2
    }
}

/// The two lowercase hex digits of every byte value, in memory order (`hexPairs[0xAB]` holds
/// "ab"); made once and never freed. `nonisolated(unsafe)`: written only by its lazy
/// initialiser (swift_once), read-only after, so every thread may read it.
nonisolated(unsafe) private let hexPairs: UnsafePointer<UInt16> = {
    let digits = Array("0123456789abcdef".utf8)
    let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
    for byte in 0..<256 {
        let pair = [digits[byte >> 4], digits[byte & 0x0F]]
        table[byte] = pair.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
    }
    return UnsafePointer(table)
}()
