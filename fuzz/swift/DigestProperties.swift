/// Properties of ``Digest/init(parsing:)`` on the whole input: the byte, slice and text forms
/// agree (audited inputs); a parsed digest is its input exactly, with lowercase hex of its algorithm's length;
/// a failure is `DIGEST_INVALID` (400).
enum DigestProperties {
    static func check(_ input: FuzzInput) {
        let bytes = input.bytes
        let parsed = outcome { () throws(RegistryError) in try Digest(parsing: bytes) }
        if input.isAudited {
            require(parsed == outcome { () throws(RegistryError) in try Digest(parsing: input.shifted) }, "offset slice agrees")
            if let text = input.text {
                require(parsed == outcome { () throws(RegistryError) in try Digest(parsing: text) }, "text form agrees")
            }
        }
        switch parsed {
        case .success(let digest):
            checkValid(digest)
            require(digest.string.utf8.elementsEqual(bytes), "a digest is its input exactly")
        case .failure(let error):
            require(error.code == .digestInvalid && error.status == 400, "digest errors are DIGEST_INVALID 400, got \(error)")
        }
    }

    /// The type's invariant: lowercase hex of the algorithm's length, canonical string.
    static func checkValid(_ digest: Digest) {
        let hex = Array(digest.hex.utf8)
        require(hex.count == digest.algorithm.hexLength, "hex has the algorithm's length")
        require(hex.allSatisfy(isLowerHex), "hex is lowercase hex")
        require(digest.string == "\(digest.algorithm.rawValue):\(digest.hex)", "canonical string")
        require((try? Digest(parsing: digest.string)) == digest, "digest re-validates")
        let components = digest.pathComponents
        require(components.algorithm.utf8.allSatisfy { isLowerHex($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
                    && components.hex == digest.hex,
                "path components are [a-z0-9]")
        // The same hash computed rather than parsed is the same key (Digest compares and
        // hashes decoded words, not the text).
        let raw = stride(from: 0, to: hex.count, by: 2).map { UInt8(nibble(hex[$0]) << 4 | nibble(hex[$0 + 1])) }
        let computed = Digest(algorithm: digest.algorithm, rawHash: raw)
        require(computed == digest && computed.hashValue == digest.hashValue, "computed and parsed forms are one key")
    }

    static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    static func nibble(_ byte: UInt8) -> UInt8 {
        byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
    }
}
