import BenchCore
import Testing

@Suite struct FigureTests {
    private func figure(_ better: Ratio.Better, _ values: [String: Double], capped: Set<String> = []) -> Figure {
        var figure = Figure(scenario: "S1", setting: "x", metric: "m", unit: "ms", better: better)
        for (name, value) in values {
            figure.cells[name] = Figure.Cell(value: value, note: capped.contains(name) ? "capped" : nil, comparable: !capped.contains(name))
        }
        return figure
    }

    @Test func theBestPeerIgnoresCappedRuns() throws {
        let f = figure(.lower, ["cistern": 2, "nginx": 1, "varnish": 3], capped: ["nginx"])
        let best = try #require(f.bestPeer(["nginx", "varnish"]))
        #expect(best.name == "varnish" && best.value == 3)
        #expect(f.cisternOverBestPeer(peers: ["nginx", "varnish"]) == "0.67× (varnish)")
    }

    @Test func cisternLosesOnlyBeyondTheTolerance() {
        #expect(!figure(.lower, ["cistern": 1.04, "nginx": 1.0]).cisternLoses(peers: ["nginx"]))
        #expect(figure(.lower, ["cistern": 1.10, "nginx": 1.0]).cisternLoses(peers: ["nginx"]))
        #expect(!figure(.higher, ["cistern": 0.96, "nginx": 1.0]).cisternLoses(peers: ["nginx"]))
        #expect(figure(.higher, ["cistern": 0.80, "nginx": 1.0]).cisternLoses(peers: ["nginx"]))
    }

    @Test func aCappedCisternLosesToAPeerThatFinished() {
        let f = figure(.lower, ["cistern": 1, "nginx": 5], capped: ["cistern"])
        #expect(f.cisternLoses(peers: ["nginx"]))
        #expect(f.cisternOverBestPeer(peers: ["nginx"]) == "n/a")
    }

    @Test func ceilingRatioDividesByTheCeiling() {
        let f = figure(.higher, ["cistern": 1.5, "ceiling": 3])
        #expect(f.cisternOverCeiling() == "0.50×")
    }

    @Test func markdownRowShowsValuesNotesAndRatios() {
        var f = figure(.lower, ["cistern": 2, "nginx": 4, "ceiling": 1])
        f.cells["registry"] = Figure.Cell(value: 30, note: "capped, 3/10 done", comparable: false)
        let table = SuiteReport(figures: [f], records: [], columns: ["cistern", "nginx", "registry", "ceiling"], peers: ["nginx", "registry"]).markdownTable
        let row = table.split(separator: "\n")[2]
        #expect(row == "| S1 | x | m [ms] | lower | 2.0 | 4.0 | 30.0 (capped, 3/10 done) | 1.0 | 0.50× (nginx) | 2.00× |")
    }

    @Test func aNearZeroCeilingGivesNoRatio() {
        var f = Figure(scenario: "S1", setting: "x", metric: "TTLB p50 ÷ direct dl", unit: "×", better: .lower)
        f.cells["cistern"] = Figure.Cell(value: 1.0)
        f.cells["ceiling"] = Figure.Cell(value: 0.00396)
        #expect(f.cisternOverCeiling() == "n/a (≈0)")
        f.cells["ceiling"] = Figure.Cell(value: 0.5)
        #expect(f.cisternOverCeiling() == "2.00×")
    }
}
