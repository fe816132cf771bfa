extension Collection<UInt8> {
    /// The bytes without leading and trailing OWS (SP / HTAB, RFC 9110 section 5.6.3).
    package func trimmingOWS() -> SubSequence {
        let isOWS: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isOWS($0) }) else { return self[endIndex..<endIndex] }
        var last = first
        var index = first
        while index != endIndex {
            if !isOWS(self[index]) { last = index }
            formIndex(after: &index)
        }
        return self[first...last]
    }
}

extension Substring {
    /// The text without leading and trailing SP / HTAB.
    package func trimmingOWS() -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isOWS($0) }), let last = lastIndex(where: { !isOWS($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
