/// Properties of ``RequestQuery/init(raw:)`` on the whole input:
/// - the byte form and an offset slice agree (audited inputs, see ``FuzzInput/isAudited``);
/// - `raw` is the input, and (audited) `value(named:)` finds the same decoded parameters as
///   the fields;
/// - no decoded parameter holds a control character (C0, DEL or C1); `n` is non-negative;
/// - the form sent upstream (`upstreamForm`) is visible ASCII without `#`;
/// - a failure is `UNSUPPORTED` (400).
enum RequestQueryProperties {
    static func check(_ input: FuzzInput) {
        let raw = input.bytes
        let bytes = outcome { () throws(RegistryError) in try RequestQuery(raw: raw) }
        if input.isAudited {
            let slice = outcome { () throws(RegistryError) in try RequestQuery(raw: input.shifted) }
            require(bytes == slice, "offset slice parses to the same query")
        }
        switch bytes {
        case .success(let query):
            require(query.raw.utf8.elementsEqual(raw), "raw is the query as received")
            for value in [query.ns, query.last, query.artifactType].compactMap({ $0 }) {
                require(!value.unicodeScalars.contains(where: isControl), "decoded parameters hold no control character (C0, DEL or C1)")
            }
            require((query.n ?? 0) >= 0, "n is a non-negative count")
            require(query.upstreamForm.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "#") },
                    "the query sent upstream is visible ASCII without '#', safe in a request line")
            guard input.isAudited else { return }
            require(query.value(named: "ns") == query.ns, "ns found by name")
            require(query.value(named: "last") == query.last, "last found by name")
            require(query.value(named: "artifactType") == query.artifactType, "artifactType found by name")
            if let n = query.n {
                require(n >= 0 && query.value(named: "n").flatMap { Int($0) } == n, "n is a non-negative count found by name")
            } else {
                require(query.value(named: "n") == nil, "n absent by name too")
            }
        case .failure(let error):
            require(error.code == .unsupported && error.status == 400, "query errors are UNSUPPORTED 400, got \(error)")
        }
    }
}
