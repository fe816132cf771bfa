/// What a request to the counting origin addresses (distribution-spec endpoints end-1, end-2,
/// end-3, plus the harness's own `/stats`), and the throttle its repository name asks for.
///
/// The rate rides in the repository name so that one origin serves every scenario and
/// every mirror passes it through unchanged: a name component `r<n>k` means n KiB/s per
/// connection (`r0k` = unthrottled), e.g. `bench/r4096k` → 4 MiB/s.
public enum OriginRoute: Equatable, Sendable {
    /// `/v2/` or `/v2`.
    case base
    /// `/v2/<name>/manifests/<reference>`.
    case manifest(reference: String, rateBytesPerSecond: Int64?)
    /// `/v2/<name>/blobs/<digest>`.
    case blob(digest: String, rateBytesPerSecond: Int64?)
    /// `/stats`: the counters as text.
    case stats
    /// Anything else.
    case unknown

    /// Parses a request path (no query).
    public static func parse(path: Substring) -> OriginRoute {
        if path == "/v2/" || path == "/v2" { return .base }
        if path == "/stats" { return .stats }
        guard path.hasPrefix("/v2/") else { return .unknown }
        let parts = path.dropFirst(4).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return .unknown }
        let kind = parts[parts.count - 2]
        let last = String(parts[parts.count - 1])
        let name = parts[0..<(parts.count - 2)]
        guard !name.contains(where: \.isEmpty), !last.isEmpty else { return .unknown }
        let rate = name.lazy.compactMap(rateBytesPerSecond(component:)).first
        switch kind {
        case "manifests": return .manifest(reference: last, rateBytesPerSecond: rate)
        case "blobs": return .blob(digest: last, rateBytesPerSecond: rate)
        default: return .unknown
        }
    }

    /// The repository name that asks for `bytesPerSecond` (rounded down to KiB/s).
    public static func repository(rateBytesPerSecond bytesPerSecond: Int64) -> String {
        "bench/r\(bytesPerSecond / 1024)k"
    }

    private static func rateBytesPerSecond(component: Substring) -> Int64? {
        guard component.count >= 3, component.first == "r", component.last == "k",
              let kib = Int64(component.dropFirst().dropLast()) else { return nil }
        return kib * 1024
    }
}
