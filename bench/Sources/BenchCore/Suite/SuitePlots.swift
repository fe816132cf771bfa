import Foundation

/// The PNG plots, drawn by gnuplot from data files the suite writes: S1 TTLB p50 (÷ direct
/// download) against N per target, one plot per origin rate, and S2 throughput against
/// connections per target.
struct SuitePlots {
    var figures: [Figure]
    var columns: [String]

    /// Writes `*.dat`, `plots.gp` and runs gnuplot; returns the PNGs that exist afterwards.
    func write(to directory: String) throws -> [String] {
        var script = "set terminal pngcairo size 900,560 font 'DejaVu Sans,10'\nset key outside right\nset grid\n"
        var outputs: [String] = []
        // S1: group TTLB p50 figures by rate (the setting's first field), x = N.
        let s1 = figures.filter { $0.scenario == "S1" && $0.metric == "TTLB p50 ÷ direct dl" }
        let rates = s1.map { String($0.setting.split(separator: ",")[0]) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (index, rate) in rates.enumerated() {
            let rows = s1.filter { $0.setting.hasPrefix(rate + ",") }
            let name = "s1-ttlb-\(index + 1)"
            try table(rows, x: { Double(fanOut(of: $0.setting)) }).write(toFile: "\(directory)/\(name).dat", atomically: true, encoding: .utf8)
            outputs.append("\(directory)/\(name).png")
            script += "set output '\(directory)/\(name).png'\nset title 'S1 cold fan-out, origin \(rate) per connection: TTLB p50 ÷ direct download'\n"
            script += "set logscale x\nset xlabel 'concurrent clients N'\nset ylabel 'TTLB p50 ÷ direct download (lower is better)'\nset logscale y\n"
            script += plotCommand(file: "\(directory)/\(name).dat")
            script += "unset logscale\n"
        }
        let s2 = figures.filter { $0.scenario == "S2" && $0.metric == "throughput" }
        if !s2.isEmpty {
            try table(s2, x: { Double($0.setting.split(separator: ",")[0].dropFirst(2)) ?? 0 })
                .write(toFile: "\(directory)/s2-throughput.dat", atomically: true, encoding: .utf8)
            outputs.append("\(directory)/s2-throughput.png")
            script += "set output '\(directory)/s2-throughput.png'\nset title 'S2 hot blob throughput'\n"
            script += "set logscale x\nset xlabel 'connections'\nset ylabel 'GiB/s (higher is better)'\nset yrange [0:*]\n"
            script += plotCommand(file: "\(directory)/s2-throughput.dat")
        }
        try script.write(toFile: "\(directory)/plots.gp", atomically: true, encoding: .utf8)
        let gnuplot = Process()
        gnuplot.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gnuplot.arguments = ["gnuplot", "\(directory)/plots.gp"]
        do {
            try gnuplot.run()
            gnuplot.waitUntilExit()
        } catch {
            return []
        }
        return outputs.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Columns that have at least one value in `rows`.
    private func present(_ rows: [Figure]) -> [String] {
        columns.filter { name in rows.contains { $0.cells[name]?.value != nil } }
    }

    /// Whitespace-separated table: x, then one column per target ("NaN" when missing or
    /// not comparable, so capped runs leave a gap instead of a misleading point).
    private func table(_ rows: [Figure], x: (Figure) -> Double) -> String {
        let names = present(rows)
        var text = "# x " + names.joined(separator: " ") + "\n"
        for row in rows.sorted(by: { x($0) < x($1) }) {
            let values = names.map { name -> String in
                guard let cell = row.cells[name], cell.comparable, let value = cell.value else { return "NaN" }
                return Ratio.fixed(value, 4)
            }
            text += Ratio.fixed(x(row), 0) + " " + values.joined(separator: " ") + "\n"
        }
        return text
    }

    private func plotCommand(file: String) -> String {
        let header = (try? String(contentsOfFile: file, encoding: .utf8))?.split(separator: "\n").first ?? ""
        let names = header.split(separator: " ").dropFirst(2)
        let parts = names.enumerated().map { index, name in
            "'\(file)' using 1:\(index + 2) with linespoints lw 2 title '\(name)'"
        }
        return "plot " + parts.joined(separator: ", \\\n     ") + "\n"
    }

    private func fanOut(of setting: String) -> Int {
        for part in setting.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("N=") { return Int(trimmed.dropFirst(2)) ?? 0 }
        }
        return 0
    }
}
