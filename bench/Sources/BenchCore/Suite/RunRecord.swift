/// One load-generator run as a raw CSV row: what ran against which target and everything it
/// measured.
public struct RunRecord: Sendable {
    /// Scenario and setting (as in the figures) and the target's name.
    public var scenario: String
    public var setting: String
    public var target: String
    /// Measured connections.
    public var connections: Int
    /// The run's result.
    public var result: LoadResult
    /// Origin body bytes for the run's blob (-1 when not tracked).
    public var upstreamBytes: Int64

    /// The CSV header.
    public static let csvHeader = "scenario,setting,target,connections,succeeded,failed,digest_mismatches,unfinished,capped,wall_s,req_per_s,gib_per_s,ttfb_p50_ms,ttfb_p99_ms,ttfb_p999_ms,ttfb_max_ms,ttlb_p50_ms,ttlb_p99_ms,ttlb_p999_ms,ttlb_max_ms,upstream_bytes,loadgen_cpu_share"

    /// The CSV row (fields never contain commas: settings use `;`).
    public var csvRow: String {
        let ttfb = LatencySummary(result.ttfb)
        let ttlb = LatencySummary(result.ttlb)
        func ms(_ value: UInt64) -> String { Ratio.fixed(Double(value) / 1000, 3) }
        let fields: [String] = [
            scenario, setting.replacingCommas, target, String(connections), String(result.succeeded), String(result.failed),
            String(result.digestMismatches), String(result.unfinished), result.capped ? "1" : "0",
            Ratio.fixed(Double(result.wallNs) / 1e9, 3), Ratio.fixed(result.requestsPerSecond, 1),
            Ratio.fixed(result.gibibytesPerSecond, 3),
            ms(ttfb.p50), ms(ttfb.p99), ms(ttfb.p999), ms(ttfb.max), ms(ttlb.p50), ms(ttlb.p99), ms(ttlb.p999), ms(ttlb.max),
            String(upstreamBytes), Ratio.fixed(result.loadGeneratorCPUShare, 2),
        ]
        return fields.joined(separator: ",")
    }
}

extension String {
    /// The text with commas replaced by semicolons (for CSV fields).
    var replacingCommas: String { String(map { $0 == "," ? ";" : $0 }) }
}
