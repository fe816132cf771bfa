/// The query component of a registry request target (RFC 3986 section 3.4), with the
/// parameters the pull API uses decoded: `ns` (the upstream a mirror request is for, sent by
/// containerd), `n` and `last` (tag-list pagination, distribution-spec "Content Discovery"),
/// `artifactType` (referrers filter, distribution-spec "Listing Referrers").
///
/// Parameters are `&`-separated `name[=value]` pairs; names and values are percent-decoded
/// (RFC 3986 section 2.1). `+` is kept as a literal plus (RFC 3986 has no form-encoding), so
/// `artifactType=application/vnd.example+json` means what it says. A repeated `ns` is refused
/// (which upstream is meant would be ambiguous); for other repeated names the first
/// occurrence wins.
///
/// Invariant: every `%` in ``raw`` starts a valid triplet, and every decoded name and value
/// is UTF-8 without control characters (Unicode category Cc: C0, DEL and C1).
public struct RequestQuery: Hashable, Sendable {
    /// The query as received, without the leading `?`, not decoded; empty when absent.
    public let raw: String
    /// Decoded `ns` parameter: the registry host the client meant (e.g. `docker.io`).
    public let ns: String?
    /// Decoded `n` parameter: maximum number of tags to list.
    public let n: Int?
    /// Decoded `last` parameter: list tags after this one.
    public let last: String?
    /// Decoded `artifactType` parameter: the referrers filter.
    public let artifactType: String?

    /// A request without a query.
    public static let empty = RequestQuery()

    private init() {
        raw = ""
        ns = nil
        n = nil
        last = nil
        artifactType = nil
    }

    /// Parses and validates the bytes after `?`.
    /// - Throws: `UNSUPPORTED` (400, see ``RegistryError/queryInvalid(_:)``) for a `%` not
    ///   followed by two hex digits, bytes a query may not hold (controls, space, `#`,
    ///   non-ASCII), decoded text that is not UTF-8 or holds control characters, an `n`
    ///   that is not a non-negative decimal integer, or `ns` given more than once.
    public init(raw bytes: some Collection<UInt8>) throws(RegistryError) {
        var ns: String?
        var n: String?
        var last: String?
        var artifactType: String?
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let name = try Self.decoded(pair[..<equals])
            let value = try Self.decoded(equals == pair.endIndex ? pair[equals...] : pair[pair.index(after: equals)...])
            switch name {
            case "ns" where ns != nil: throw .queryInvalid("ns given more than once")
            case "ns": ns = value
            case "n" where n == nil: n = value
            case "last" where last == nil: last = value
            case "artifactType" where artifactType == nil: artifactType = value
            default: break
            }
        }
        if let n {
            guard !n.isEmpty, n.utf8.count <= 18, n.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let count = Int(n) else {
                throw .queryInvalid("n must be a non-negative integer")
            }
            self.n = count
        } else {
            self.n = nil
        }
        self.raw = String(decoding: bytes, as: UTF8.self)
        self.ns = ns
        self.last = last
        self.artifactType = artifactType
    }

    /// The decoded value of the first parameter called `name`, nil when absent; a parameter
    /// without `=` has the value "".
    public func value(named name: String) -> String? {
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            // Validated at init, so decoding cannot fail here.
            guard (try? Self.decoded(pair[..<equals])) == name else { continue }
            return try? Self.decoded(equals == pair.endIndex ? pair[equals...] : pair[pair.index(after: equals)...])
        }
        return nil
    }

    /// The query to send upstream: the pairs of ``raw`` in their order, still percent-encoded,
    /// joined by `&`, without `ns` (it names Cistern's upstream and means nothing to that
    /// upstream); empty when nothing else is left. In the parameters Cistern reads (`n`,
    /// `last`, `artifactType`) a literal `+` goes as `%2B`: it means a plus here (RFC 3986)
    /// but a space to the form decoding registries apply (Go's `url.ParseQuery`). Every other
    /// pair, an opaque pagination cursor above all, goes exactly as received. Safe in a
    /// request line: ``raw`` holds only visible ASCII other than `#` (validated at init).
    public var upstreamForm: String {
        var pairs: [String] = []
        for pair in raw.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let text = String(decoding: pair, as: UTF8.self)
            switch try? Self.decoded(pair[..<equals]) {
            case "ns": continue
            case "n", "last", "artifactType": pairs.append(text.split(separator: "+", omittingEmptySubsequences: false).joined(separator: "%2B"))
            default: pairs.append(text)
            }
        }
        return pairs.joined(separator: "&")
    }

    /// Percent-decodes one name or value.
    static func decoded(_ bytes: some Collection<UInt8>) throws(RegistryError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            var byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "#") {
                throw .queryInvalid("query contains a byte that must be percent-encoded")
            }
            if byte == UInt8(ascii: "%") {
                guard index != bytes.endIndex, let high = Self.hexValue(bytes[index]) else {
                    throw .queryInvalid("invalid percent-encoding in query")
                }
                bytes.formIndex(after: &index)
                guard index != bytes.endIndex, let low = Self.hexValue(bytes[index]) else {
                    throw .queryInvalid("invalid percent-encoding in query")
                }
                bytes.formIndex(after: &index)
                byte = high << 4 | low
                if byte < 0x20 || byte == 0x7F {
                    throw .queryInvalid("query decodes to a control character")
                }
            }
            output.append(byte)
        }
        guard let text = String(validating: output, as: UTF8.self) else {
            throw .queryInvalid("query does not decode to UTF-8")
        }
        // C0 and DEL were refused byte by byte above; C1 controls (U+0080-U+009F, Unicode
        // category Cc) only show once the UTF-8 is decoded, e.g. from `%C2%80`.
        if text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) {
            throw .queryInvalid("query decodes to a control character")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
