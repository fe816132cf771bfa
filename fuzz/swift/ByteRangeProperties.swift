/// Properties of ``ByteRange/parse(_:)`` and ``ByteRange/resolve(size:)``:
/// - the byte, slice and text forms agree (audited inputs, see ``FuzzInput/isAudited``);
/// - a parsed range is ordered and non-negative, and parses back from its rendering;
/// - resolving against any size gives `0 <= first <= last < size`, and unsatisfiable exactly
///   when RFC 9110 section 14.1.2 says so.
enum ByteRangeProperties {
    static func check(_ input: FuzzInput) {
        let parsed = ByteRange.parse(input.bytes)
        if input.isAudited {
            require(parsed == ByteRange.parse(input.shifted), "offset slice agrees")
            if let text = input.text {
                require(parsed == ByteRange.parse(text), "text form agrees")
            }
        }
        guard let range = parsed else { return }
        let rendering: String
        switch range {
        case .closed(let first, let last):
            require(first >= 0 && first <= last, "closed range is ordered")
            rendering = "bytes=\(first)-\(last)"
        case .from(let first):
            require(first >= 0, "open range starts at a position")
            rendering = "bytes=\(first)-"
        case .suffix(let length):
            require(length >= 0, "suffix length is a count")
            rendering = "bytes=-\(length)"
        }
        require(ByteRange.parse(rendering) == range, "range parses back from \(rendering)")
        for size in sizes(around: range) {
            checkResolved(range, size: size)
        }
    }

    private static func sizes(around range: ByteRange) -> [Int64] {
        var sizes: [Int64] = [0, 1, 2, Int64.max]
        switch range {
        case .closed(let first, let last): sizes += [first, last]
        case .from(let first): sizes += [first]
        case .suffix(let length): sizes += [length]
        }
        return sizes.flatMap { [$0, $0 &+ 1, $0 &- 1] }.filter { $0 >= 0 }
    }

    private static func checkResolved(_ range: ByteRange, size: Int64) {
        let resolved = range.resolve(size: size)
        switch resolved {
        case .satisfiable(let first, let last):
            require(0 <= first && first <= last && last < size, "satisfiable range lies inside the representation")
        case .unsatisfiable, .wholeRepresentation:
            break
        }
        switch range {
        case .closed(let first, _), .from(let first):
            require((resolved == .unsatisfiable) == (first >= size), "unsatisfiable exactly when first >= size")
        case .suffix(let length):
            require((resolved == .unsatisfiable) == (length == 0), "a suffix is unsatisfiable only when empty")
            require((resolved == .wholeRepresentation) == (length > 0 && size == 0), "whole only for a suffix of nothing")
            if case .satisfiable(let first, let last) = resolved {
                require(last == size - 1 && last - first + 1 == min(length, size), "suffix selects the final bytes")
            }
        }
    }
}
