@testable import BenchCore
import Testing

/// Steady-state figures in rounds: every target once per round in a rotated order, and the
/// figure is the median run unless a run failed.
@Suite struct SuiteRoundsTests {
    static func runner(rounds: Int) -> SuiteRunner {
        var settings = SuiteSettings(quick: true)
        settings.steadyRounds = rounds
        let origin = SuiteTarget(name: "direct", port: 1, kind: .direct)
        return SuiteRunner(settings: settings, setup: .init(origin: origin, mirrors: []))
    }

    static func result(succeeded: Int, failed: Int = 0, wallNs: Int64 = 1_000_000_000) -> LoadResult {
        var result = LoadResult()
        result.succeeded = succeeded
        result.failed = failed
        result.wallNs = wallNs
        return result
    }

    @Test func everyTargetRunsOncePerRoundInARotatedOrder() {
        let targets = ["a", "b", "c"].map { SuiteTarget(name: $0, port: 1, kind: .mirror) }
        var order: [String] = []
        let runs = Self.runner(rounds: 3).inRounds(targets) { target in
            order.append(target.name)
            return Self.result(succeeded: 1)
        }
        #expect(order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"])
        #expect(runs.mapValues(\.count) == ["a": 3, "b": 3, "c": 3])
    }

    @Test func theFigureIsTheMedianRunWithItsRange() {
        let runner = Self.runner(rounds: 3)
        let runs = [300, 100, 200].map { Self.result(succeeded: $0) }
        let cell = runner.medianCell(runs, expected: \.succeeded, value: \.requestsPerSecond)
        #expect(cell.value == 200)
        #expect(cell.comparable)
        #expect(cell.note == "median of 3, 100–300")
    }

    @Test func aFailedRunIsNeverHiddenBehindTheMedian() {
        let runner = Self.runner(rounds: 3)
        let runs = [Self.result(succeeded: 300), Self.result(succeeded: 280, failed: 20), Self.result(succeeded: 290)]
        let cell = runner.medianCell(runs, expected: { _ in 300 }, value: \.requestsPerSecond)
        #expect(!cell.comparable)
        #expect(cell.note == "20 failed")
    }
}
