import Glibc

/// Reads `read()` until it equals `expected` or one second passed, and returns the last
/// value. The origin counts body bytes on its own thread after the write that sent them, so
/// a client can finish reading a moment before the count lands.
func settled<Value: Equatable>(_ expected: Value, _ read: () -> Value) -> Value {
    for _ in 0..<200 {
        let value = read()
        if value == expected { return value }
        usleep(5000)
    }
    return read()
}
