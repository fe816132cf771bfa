import BenchCore
import Testing

@Suite struct RatioTests {
    @Test(arguments: [
        (1.23456, 2, "1.23"), (1.235, 0, "1"), (0.005, 2, "0.01"), (-1.5, 0, "-2"), (12.0, 3, "12.000"),
        (0.0, 1, "0.0"), (1999.96, 1, "2000.0"), (-0.0001, 2, "0.00"),
    ])
    func fixedRoundsToTheGivenDecimals(value: Double, decimals: Int, text: String) {
        #expect(Ratio.fixed(value, decimals) == text)
    }

    @Test func formatDividesAndMarksTheRatio() {
        #expect(Ratio.format(3, over: 2) == "1.50×")
        #expect(Ratio.format(1, over: 3) == "0.33×")
    }

    @Test func formatIsNotApplicableWithoutADenominator() {
        #expect(Ratio.format(1, over: 0) == "n/a")
        #expect(Ratio.format(nil, over: 2) == "n/a")
        #expect(Ratio.format(1, over: nil) == "n/a")
    }

    @Test func formatDropsARatioAgainstADenominatorBelowTheFloor() {
        #expect(Ratio.format(1.0, over: 0.00396, floor: 0.1) == "n/a (≈0)")
        #expect(Ratio.format(1.0, over: 0.5, floor: 0.1) == "2.00×")
        #expect(Ratio.format(1.0, over: nil, floor: 0.1) == "n/a")
    }

    @Test func bestFollowsTheFiguresDirection() {
        #expect(Ratio.best([3, 1, 2], better: .lower) == 1)
        #expect(Ratio.best([3, 1, 2], better: .higher) == 3)
        #expect(Ratio.best([], better: .lower) == nil)
    }
}
