import BenchCore
import Testing

@Suite struct LatencySummaryTests {
    @Test func percentilesOfOneToThousandAreTheRankedValues() {
        var histogram = LatencySummary.makeHistogram()
        for value in UInt64(1)...1000 { histogram.record(value) }
        let summary = LatencySummary(histogram)
        #expect(summary.count == 1000)
        #expect(summary.p50 == 500)
        #expect(summary.p99 == 990)
        #expect(summary.p999 == 999)
        #expect(summary.max == 1000)
    }

    @Test func aSingleSlowRequestShowsOnlyAtTheTail() {
        var histogram = LatencySummary.makeHistogram()
        for _ in 0..<999 { histogram.record(100) }
        histogram.record(2_000_000)
        let summary = LatencySummary(histogram)
        #expect(summary.p50 == 100)
        #expect(summary.p99 == 100)
        // HdrHistogram keeps 3 significant digits: 2 s is reported within 0.1 %.
        #expect(summary.max >= 2_000_000 && summary.max <= 2_002_000)
    }

    @Test func anEmptyHistogramSummarisesToZero() {
        let summary = LatencySummary(LatencySummary.makeHistogram())
        #expect(summary == LatencySummary(LatencySummary.makeHistogram()))
        #expect(summary.count == 0 && summary.p50 == 0 && summary.max == 0)
    }
}
