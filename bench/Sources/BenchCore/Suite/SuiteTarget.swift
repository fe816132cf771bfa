/// A server the suite measures: a mirror (Cistern or a peer), the ceiling (sendfile), or the
/// origin itself ("direct").
public struct SuiteTarget: Sendable, Equatable {
    /// What role the server plays in the ratios.
    public enum Kind: String, Sendable { case mirror, ceiling, direct }

    /// Name in the report (`cistern`, `nginx`, `varnish`, `registry`, `ceiling`, `direct`).
    public var name: String
    /// IPv4 literal.
    public var host: String
    /// Port.
    public var port: UInt16
    /// Server process id (memory is measured over its process tree), if known.
    public var pid: Int32?
    /// Role.
    public var kind: Kind

    /// A target.
    public init(name: String, host: String = "127.0.0.1", port: UInt16, pid: Int32? = nil, kind: Kind) {
        self.name = name
        self.host = host
        self.port = port
        self.pid = pid
        self.kind = kind
    }

    /// Parses `name=http://127.0.0.1:PORT[@PID]`.
    /// - Throws: `BenchError.invalid` for anything else.
    public static func parse(_ text: String, kind: Kind) throws -> SuiteTarget {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { throw BenchError.invalid("expected name=url[@pid], got \(text)") }
        let urlAndPid = parts[1].split(separator: "@")
        let (host, port) = try BaseURL.parse(String(urlAndPid[0]))
        let pid = urlAndPid.count > 1 ? Int32(urlAndPid[1]) : nil
        return SuiteTarget(name: String(parts[0]), host: host, port: port, pid: pid, kind: kind)
    }
}
