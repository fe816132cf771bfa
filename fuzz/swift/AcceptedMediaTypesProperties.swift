/// Properties of ``AcceptedMediaTypes/init(headerValues:)`` with the input's lines as the
/// `Accept` fields of one request:
/// - the set is sorted, unique, lowercase, parameter-free `type/subtype` tokens, and accepts
///   each of its members;
/// - normalisation is idempotent (its own header value parses back to it), and, when no
///   quoted-string can span lines, several fields mean the same as one comma-joined field.
enum AcceptedMediaTypesProperties {
    static func check(_ input: FuzzInput) {
        // Split on the LF byte, not on Characters: grapheme breaking would cost more than the
        // parse under test, and would keep a CR LF pair inside one field.
        let fields = input.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let accepted = AcceptedMediaTypes(headerValues: fields)
        let types = accepted.mediaTypes
        require(zip(types, types.dropFirst()).allSatisfy { $0 < $1 }, "sorted and unique")
        for type in types {
            let parts = type.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            require(parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(AcceptedMediaTypes.isTChar) },
                    "\(type) is type/subtype")
            require(!type.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }, "\(type) is lowercase")
            require(accepted.accepts(type), "accepts its own member \(type)")
        }
        require(accepted.key == types.joined(separator: ","), "key joins the types")
        require(AcceptedMediaTypes(headerValues: [accepted.headerValue]) == accepted, "normalisation is idempotent")
        if input.isAudited, fields.count > 1, !input.bytes.contains(UInt8(ascii: "\"")) {
            require(AcceptedMediaTypes(headerValues: [fields.joined(separator: ",")]) == accepted, "fields merge like one comma list")
        }
    }
}
