/// Whether `bytes` are exactly the literal's: the lengths first (O(1) for the buffer slices
/// the server passes), so a long path is not walked against every short literal, then a
/// byte loop that the parsers' specialisations inline (`elementsEqual` against a literal's
/// `utf8` view goes through the generic sequence path). For route words and digest
/// algorithms.
@inline(__always)
func bytesEqual<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    var i = 0
    for byte in bytes {
        if byte != literal.utf8Start[i] { return false }
        i += 1
    }
    return true
}
