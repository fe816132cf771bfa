import Foundation

/// The suite's output: the Markdown table of figures with Cistern ÷ best peer and
/// Cistern ÷ ceiling, the figures and raw runs as CSV, and the gnuplot data and script.
public struct SuiteReport {
    /// Figures in order.
    public var figures: [Figure]
    /// Raw runs.
    public var records: [RunRecord]
    /// Column order: Cistern, peers, then direct and ceiling.
    public var columns: [String]
    /// Peers (for the best-peer ratio).
    public var peers: [String]

    /// A report.
    public init(figures: [Figure], records: [RunRecord], columns: [String], peers: [String]) {
        self.figures = figures
        self.records = records
        self.columns = columns
        self.peers = peers
    }

    /// The Markdown table (one row per figure).
    public var markdownTable: String {
        var lines: [String] = []
        lines.append("| Scenario | Setting | Figure | Better | " + columns.joined(separator: " | ") + " | Cistern ÷ best peer | Cistern ÷ ceiling |")
        lines.append("|" + Array(repeating: "---", count: columns.count + 6).joined(separator: "|") + "|")
        for figure in figures {
            let values = columns.map { name -> String in
                guard let cell = figure.cells[name] else { return "–" }
                let number = cell.value.map { SuiteReport.format($0, unit: figure.unit) } ?? "–"
                return cell.note.map { "\(number) (\($0))" } ?? number
            }
            let row = [figure.scenario, figure.setting, "\(figure.metric) [\(figure.unit)]", figure.better.rawValue]
                + values + [figure.cisternOverBestPeer(peers: peers), figure.cisternOverCeiling()]
            lines.append("| " + row.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// Figures where Cistern loses to the best peer, as Markdown bullets.
    public var losses: [String] {
        figures.filter { $0.cisternLoses(peers: peers) }.map { figure in
            let best = figure.bestPeer(peers)
            let mine = figure.cells["cistern"]
            let mineText = mine?.value.map { SuiteReport.format($0, unit: figure.unit) } ?? "–"
            let bestText = best.map { "\($0.name) \(SuiteReport.format($0.value, unit: figure.unit))" } ?? "–"
            return "- \(figure.scenario) \(figure.setting) — \(figure.metric): Cistern \(mineText)\(mine?.note.map { " (\($0))" } ?? "") vs \(bestText) \(figure.unit) (\(figure.better.rawValue) is better)"
        }
    }

    /// The figures as CSV: scenario, setting, metric, unit, better, one column per target.
    public var figuresCSV: String {
        var lines = ["scenario,setting,metric,unit,better," + columns.joined(separator: ",") + ",cistern_over_best_peer,cistern_over_ceiling"]
        for figure in figures {
            let values = columns.map { name in figure.cells[name]?.value.map { Ratio.fixed($0, 4) } ?? "" }
            lines.append(([figure.scenario, figure.setting.replacingCommas, figure.metric, figure.unit, figure.better.rawValue] + values
                + [figure.cisternOverBestPeer(peers: peers).replacingCommas, figure.cisternOverCeiling()]).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every run as CSV.
    public var runsCSV: String {
        ([RunRecord.csvHeader] + records.map(\.csvRow)).joined(separator: "\n") + "\n"
    }

    /// A value in its unit with sensible precision.
    static func format(_ value: Double, unit: String) -> String {
        switch unit {
        case "req/s", "KiB": Ratio.fixed(value, value >= 100 ? 0 : 1)
        case "ms": Ratio.fixed(value, value >= 100 ? 0 : (value >= 1 ? 1 : 3))
        default: Ratio.fixed(value, 2)
        }
    }

    /// Writes `report.md` (table only), `figures.csv`, `runs.csv` and the plots into
    /// `directory`; returns the PNG paths gnuplot produced.
    public func write(to directory: String) throws -> [String] {
        try markdownTable.write(toFile: directory + "/table.md", atomically: true, encoding: .utf8)
        try figuresCSV.write(toFile: directory + "/figures.csv", atomically: true, encoding: .utf8)
        try runsCSV.write(toFile: directory + "/runs.csv", atomically: true, encoding: .utf8)
        return try SuitePlots(figures: figures, columns: columns).write(to: directory)
    }
}
