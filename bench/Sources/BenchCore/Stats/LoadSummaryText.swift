/// A one-screen text summary of a `LoadResult` (for `cistern-bench load`).
public enum LoadSummaryText {
    /// The summary: counts, rates, TTFB and TTLB percentiles in milliseconds.
    public static func describe(_ result: LoadResult) -> String {
        let ttfb = LatencySummary(result.ttfb)
        let ttlb = LatencySummary(result.ttlb)
        var lines: [String] = []
        lines.append("requests ok=\(result.succeeded) failed=\(result.failed) digest-mismatch=\(result.digestMismatches) unfinished=\(result.unfinished)\(result.capped ? " CAPPED" : "")")
        lines.append("statuses \(result.statusCounts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "))")
        lines.append("wall \(Ratio.fixed(Double(result.wallNs) / 1e9, 3)) s  req/s \(Ratio.fixed(result.requestsPerSecond, 0))  GiB/s \(Ratio.fixed(result.gibibytesPerSecond, 3))  loadgen-cpu \(Ratio.fixed(result.loadGeneratorCPUShare * 100, 0))%")
        lines.append("ttfb ms p50 \(ms(ttfb.p50)) p99 \(ms(ttfb.p99)) p99.9 \(ms(ttfb.p999)) max \(ms(ttfb.max))")
        lines.append("ttlb ms p50 \(ms(ttlb.p50)) p99 \(ms(ttlb.p99)) p99.9 \(ms(ttlb.p999)) max \(ms(ttlb.max))")
        if result.backgroundByteCount > 0 { lines.append("background bytes \(result.backgroundByteCount)") }
        return lines.joined(separator: "\n")
    }

    private static func ms(_ microseconds: UInt64) -> String { Ratio.fixed(Double(microseconds) / 1000, 3) }
}
