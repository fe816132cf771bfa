/// Steady-state scenarios (S2, S3, S5) in rounds: on a shared 2-core machine one run of a
/// few seconds varies by ±20 % from the next (the same build measured twice in a row), more
/// than most differences between the servers. Every target runs once per round, in an order
/// rotated each round, and a figure is the median run, with the spread shown beside it.
extension SuiteRunner {
    /// Runs `body` once per target per round (`settings.steadyRounds`), the targets' order
    /// rotated by one each round; returns every target's results in round order, keyed by
    /// `name(target)`.
    func inRounds(_ targets: [SuiteTarget], name: (SuiteTarget) -> String = \.name,
                  _ body: (SuiteTarget) throws -> LoadResult) rethrows -> [String: [LoadResult]] {
        var results: [String: [LoadResult]] = [:]
        guard !targets.isEmpty else { return results }
        for round in 0..<max(1, settings.steadyRounds) {
            for i in 0..<targets.count {
                let target = targets[(i + round) % targets.count]
                results[name(target), default: []].append(try body(target))
            }
        }
        return results
    }

    /// The cell of the run whose `value` is the median of `runs` (the lower middle one for an
    /// even count), noted with the range over all runs. A run that failed or was capped
    /// makes the cell that run's, so a failure is never hidden behind a median.
    func medianCell(_ runs: [LoadResult], expected: (LoadResult) -> Int, value: (LoadResult) -> Double?) -> Figure.Cell {
        let cells = runs.map { cell($0, value($0), expected: expected($0)) }
        if let bad = cells.first(where: { !$0.comparable }) { return bad }
        guard cells.count > 1 else { return cells.first ?? Figure.Cell(value: nil) }
        let values = cells.compactMap(\.value).sorted()
        let median = values[(values.count - 1) / 2]
        let spread = "median of \(values.count), \(Self.short(values.first!))–\(Self.short(values.last!))"
        return Figure.Cell(value: median, note: spread)
    }

    /// A value with three significant digits, for a note.
    private static func short(_ value: Double) -> String {
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        return Ratio.fixed(value, decimals)
    }
}
