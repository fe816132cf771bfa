/// The libFuzzer entry point of the `route` target: every input is given to every pure
/// registry parser at once (as a request target, a query, a digest, a `Range`, `Accept` and
/// `WWW-Authenticate` value), so corpus files stay plain text and coverage from one parser
/// never hides another's. Each parser's properties are checked in its own file; a violated
/// property traps, which libFuzzer reports as a crash with the input saved.
///
/// Built by `scripts/fuzz` with the sources it exercises compiled into the same module:
/// `swiftc -sanitize=fuzzer,address -parse-as-library -module-name Proxy -package-name cistern <sources> fuzz/swift/*.swift`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ byteCount: Int) -> CInt {
    let input = FuzzInput(bytes: Array(UnsafeBufferPointer(start: start, count: byteCount)))
    RegistryRouteProperties.check(input)
    RequestQueryProperties.check(input)
    DigestProperties.check(input)
    ByteRangeProperties.check(input)
    AcceptedMediaTypesProperties.check(input)
    AuthChallengeProperties.check(input)
    return 0
}

/// One fuzz input in the three forms the parsers take, built once per execution.
struct FuzzInput {
    /// The bytes as given, indices from 0.
    let bytes: [UInt8]
    /// The same bytes with indices from 1: a parser that assumes zero-based indices reads
    /// the wrong bytes or traps here.
    let shifted: ArraySlice<UInt8>
    /// The bytes as text when they are UTF-8, for the `String` overloads.
    let text: String?
    /// Whether this input also gets the costly cross-checks (the same parse through the
    /// shifted and text forms, lookups by name). A quarter of inputs, chosen by a hash of the
    /// bytes so that a crash reproduces: doing them on every input would cut the execution
    /// rate by about half, and a difference between forms does not depend on mutation luck.
    let isAudited: Bool

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.text = String(validating: bytes, as: UTF8.self)
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        self.isAudited = hash % 4 == 0
        self.shifted = isAudited ? ([UInt8(ascii: "#")] + bytes)[1...] : bytes[...]
    }
}
