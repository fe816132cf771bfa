/// A mirror's base URL as the harness accepts it: `http://<IPv4 literal>:<port>` with an
/// optional trailing slash (the harness talks plain HTTP/1.1 on loopback only).
public enum BaseURL {
    /// Splits `url` into host and port.
    /// - Throws: `BenchError.invalid` for another scheme, a missing port or a path.
    public static func parse(_ url: String) throws -> (host: String, port: UInt16) {
        guard url.hasPrefix("http://") else { throw BenchError.invalid("only http:// URLs: \(url)") }
        var rest = url.dropFirst(7)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let parts = rest.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]), !parts[0].contains("/") else {
            throw BenchError.invalid("expected http://HOST:PORT, got \(url)")
        }
        return (String(parts[0]), port)
    }
}
