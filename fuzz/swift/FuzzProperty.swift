/// Traps with the violated property, which libFuzzer records as a crash with its input.
func require(_ condition: Bool, _ property: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    fatalError("property violated: \(property())", file: file, line: line)
}

/// The result of a typed-throwing parse, comparable across the byte, slice and text forms.
func outcome<Value>(_ body: () throws(RegistryError) -> Value) -> Result<Value, RegistryError> {
    do {
        return .success(try body())
    } catch {
        return .failure(error)
    }
}

/// True when `byte` is an ASCII control character (C0 or DEL).
func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

/// True when `scalar` is a Unicode control character (category Cc: C0, DEL and C1).
func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
