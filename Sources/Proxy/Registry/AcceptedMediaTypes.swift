import ProxyHTTP

/// The set of media ranges a client accepts for a manifest, built from every `Accept` header
/// field of the request (RFC 9110 section 12.5.1; distribution-spec "Pulling manifests").
///
/// Normalisation, so that equal preferences compare equal however they were sent (containerd
/// sends one comma-joined field, podman one field per type): all fields and list elements are
/// merged; parameters (including `q`) are dropped, but a range with weight 0 ("not
/// acceptable") is left out entirely; ranges are lowercased (media types are case-insensitive,
/// RFC 9110 section 8.3.1), trimmed of OWS, deduplicated and sorted. Elements that are not
/// `type "/" subtype` of tchars are ignored, as are empty list elements.
///
/// Invariant: ``mediaTypes`` is sorted, free of duplicates, lowercase, parameter-free.
public struct AcceptedMediaTypes: Hashable, Sendable, CustomStringConvertible {
    /// Accepted media ranges, sorted ascending; may contain `*/*` or `type/*`.
    public let mediaTypes: [String]

    /// The empty set: no `Accept` field (which accepts anything).
    public init() {
        self.mediaTypes = []
    }

    /// Builds the set from the raw bytes of every `Accept` field value of one request.
    public init<Values: Sequence>(headerValueBytes: Values) where Values.Element: Collection<UInt8> {
        var collected = Set<String>()
        for value in headerValueBytes {
            Self.collectMediaRanges(from: value, into: &collected)
        }
        self.mediaTypes = collected.sorted()
    }

    /// Builds the set from every `Accept` field value of one request.
    public init(headerValues: some Sequence<String>) {
        self.init(headerValueBytes: headerValues.lazy.map(\.utf8))
    }

    /// Canonical cache-key form: the sorted media ranges joined by `,` (empty for the empty set).
    public var key: String { mediaTypes.joined(separator: ",") }

    /// A single `Accept` field value carrying the whole set, for the upstream request; empty
    /// for the empty set, in which case no `Accept` field should be sent.
    public var headerValue: String { mediaTypes.joined(separator: ", ") }

    /// Same as ``key``.
    public var description: String { key }

    /// True when a response of `mediaType` (parameters ignored, case-insensitive) satisfies
    /// the client: the set is empty, contains `*/*`, the exact type, or its `type/*` range.
    public func accepts(_ mediaType: String) -> Bool {
        if mediaTypes.isEmpty { return true }
        var essence = Substring(mediaType)
        if let semicolon = essence.firstIndex(of: ";") { essence = essence[..<semicolon] }
        let wanted = essence.trimmingOWS().lowercased()
        if mediaTypes.contains("*/*") || mediaTypes.contains(wanted) { return true }
        guard let slash = wanted.firstIndex(of: "/") else { return false }
        return mediaTypes.contains(wanted[..<slash] + "/*")
    }

    /// Parses one field value `#( media-range *( OWS ";" OWS parameter ) )` and inserts its
    /// acceptable ranges. Quoted parameter values may contain `,` and `;`.
    static func collectMediaRanges(from value: some Collection<UInt8>, into collected: inout Set<String>) {
        var index = value.startIndex
        while index != value.endIndex {
            let rangeStart = index
            while index != value.endIndex, value[index] != UInt8(ascii: ","), value[index] != UInt8(ascii: ";") {
                value.formIndex(after: &index)
            }
            let range = value[rangeStart..<index]
            var isExcluded = false
            while index != value.endIndex, value[index] == UInt8(ascii: ";") {
                value.formIndex(after: &index)
                let parameter = scanParameter(in: value, from: &index)
                if parameter.isQ && parameter.isZeroWeight { isExcluded = true }
            }
            if index != value.endIndex { value.formIndex(after: &index) }  // the ','
            if !isExcluded, let mediaRange = normalizedMediaRange(range) {
                collected.insert(mediaRange)
            }
        }
    }

    /// Scans `name [ "=" ( token / quoted-string ) ]` up to the next unquoted `;` or `,`.
    private static func scanParameter<C: Collection<UInt8>>(
        in value: C, from index: inout C.Index
    ) -> (isQ: Bool, isZeroWeight: Bool) {
        let nameStart = index
        while index != value.endIndex, !";,=".utf8.contains(value[index]) { value.formIndex(after: &index) }
        let name = value[nameStart..<index].trimmingOWS()
        let isQ = name.count == 1 && (name.first! | 0x20) == UInt8(ascii: "q")
        guard index != value.endIndex, value[index] == UInt8(ascii: "=") else { return (isQ, false) }
        value.formIndex(after: &index)
        let valueStart = index
        var isQuoted = false
        var isEscaped = false
        while index != value.endIndex {
            let byte = value[index]
            if isEscaped {
                isEscaped = false
            } else if isQuoted {
                if byte == UInt8(ascii: "\\") { isEscaped = true } else if byte == UInt8(ascii: "\"") { isQuoted = false }
            } else if byte == UInt8(ascii: "\"") {
                isQuoted = true
            } else if byte == UInt8(ascii: ";") || byte == UInt8(ascii: ",") {
                break
            }
            value.formIndex(after: &index)
        }
        return (isQ, isQ && isZeroQValue(value[valueStart..<index].trimmingOWS()))
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / …` (RFC 9110 section 12.4.2): true for `0`, `0.`,
    /// `0.0`, `0.00`, `0.000`.
    private static func isZeroQValue(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.first == UInt8(ascii: "0") else { return false }
        let rest = bytes.dropFirst()
        guard let dot = rest.first else { return true }
        return dot == UInt8(ascii: ".") && rest.count <= 4 && rest.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") }
    }

    /// Lowercased `type/subtype` when `bytes` (after trimming OWS) is two tchar tokens around
    /// one `/`; nil otherwise.
    private static func normalizedMediaRange(_ bytes: some Collection<UInt8>) -> String? {
        let trimmed = bytes.trimmingOWS()
        guard let slash = trimmed.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let type = trimmed[..<slash]
        let subtype = trimmed[trimmed.index(after: slash)...]
        guard !type.isEmpty, !subtype.isEmpty, type.allSatisfy(isTChar), subtype.allSatisfy(isTChar) else {
            return nil
        }
        return String(decoding: trimmed.lazy.map(asciiLowercased), as: UTF8.self)
    }

    /// RFC 9110 section 5.6.2 `tchar`.
    static func isTChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}

extension AcceptedMediaTypes {
    /// Media types that can change which manifest an upstream returns: the
    /// manifest and index types, the OCI artifact manifest, and wildcards.
    static let manifestRelevant: Set<String> = Set(MediaType.allManifestTypes + [
        "application/vnd.oci.artifact.manifest.v1+json", "*/*", "application/*",
    ])

    /// The cache key of this Accept set for tag records and manifest
    /// flights: only the types that can change the upstream's answer, so a
    /// client cannot multiply upstream pulls and tag records by adding junk
    /// types to its Accept header.
    public var manifestCacheKey: String {
        mediaTypes.filter { AcceptedMediaTypes.manifestRelevant.contains($0) }.joined(separator: ",")
    }
}
