/// One HTTP header field as it appeared on the wire (RFC 9110 section 5): the name with its
/// original case, the value with surrounding whitespace removed.
struct TestHeaderField: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The field name, case as sent (names compare case-insensitively; see `named(_:)`).
    let name: String
    /// The field value without leading or trailing whitespace.
    let value: String

    /// A field with `name` and `value`.
    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `Name: value`.
    var description: String { "\(name): \(value)" }
}

extension Array where Element == TestHeaderField {
    /// The value of the first field called `name` (case-insensitive), or nil.
    func first(named name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }

    /// The values of every field called `name` (case-insensitive), in order.
    func all(named name: String) -> [String] {
        let wanted = name.lowercased()
        return filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}
