/// One row of the results table: a figure of one scenario setting, measured on every target,
/// with Cistern ÷ best peer and Cistern ÷ ceiling.
public struct Figure: Sendable {
    /// One target's value, or why there is none.
    public struct Cell: Sendable {
        /// The value in the figure's unit (nil: not measured / not applicable).
        public var value: Double?
        /// Shown next to the value: "capped", "3 failed", "status 200"…
        public var note: String?
        /// Whether the value may stand as a comparison (false when capped or failing).
        public var comparable: Bool

        /// A cell.
        public init(value: Double?, note: String? = nil, comparable: Bool = true) {
            self.value = value
            self.note = note
            self.comparable = comparable && value != nil
        }
    }

    /// `S1` … `S7`.
    public var scenario: String
    /// The setting, e.g. `8 MiB/s, N=100`.
    public var setting: String
    /// The figure, e.g. `TTLB p99 ÷ direct`.
    public var metric: String
    /// Unit of the values (`s`, `ms`, `GiB/s`, `×`, `req/s`, `KiB`).
    public var unit: String
    /// Which direction wins.
    public var better: Ratio.Better
    /// Values by target name.
    public var cells: [String: Cell] = [:]
    /// A diagnostic row (e.g. the load generator's own CPU share): shown, never compared.
    public var isDiagnostic = false
    /// Cistern loses a figure only when it is worse than the best peer by more than this
    /// fraction (run-to-run noise on a shared machine is a few per cent).
    public static let lossTolerance = 0.05
    /// Below this a denominator is too close to zero for a ratio to mean anything (in the
    /// figure's unit): a tenth of "as fast as a direct download" for the `×` figures, one
    /// microsecond for latencies; 0 elsewhere (a zero denominator is always n/a).
    public var ratioFloor: Double {
        switch unit {
        case "×": 0.1
        case "ms": 0.001
        default: 0
        }
    }

    /// A figure without values yet.
    public init(scenario: String, setting: String, metric: String, unit: String, better: Ratio.Better) {
        self.scenario = scenario
        self.setting = setting
        self.metric = metric
        self.unit = unit
        self.better = better
    }

    /// The best comparable value among `peers` (mirrors other than Cistern), and whose.
    public func bestPeer(_ peers: [String]) -> (name: String, value: Double)? {
        let candidates = peers.compactMap { name -> (String, Double)? in
            guard let cell = cells[name], cell.comparable, let value = cell.value else { return nil }
            return (name, value)
        }
        guard let bestValue = Ratio.best(candidates.map(\.1), better: better) else { return nil }
        return candidates.first { $0.1 == bestValue }
    }

    /// Cistern ÷ best peer as text; when every peer is capped or failing while Cistern is
    /// not, says so instead of a number.
    public func cisternOverBestPeer(cistern: String = "cistern", peers: [String]) -> String {
        if isDiagnostic { return "–" }
        guard let mine = cells[cistern], mine.comparable else { return "n/a" }
        guard let best = bestPeer(peers) else {
            let anyPeer = peers.contains { cells[$0] != nil }
            return anyPeer ? "peers capped/failed" : "n/a"
        }
        return Ratio.format(mine.value, over: best.value, floor: ratioFloor) + " (\(best.name))"
    }

    /// Cistern ÷ ceiling as text.
    public func cisternOverCeiling(cistern: String = "cistern", ceiling: String = "ceiling") -> String {
        if isDiagnostic { return "–" }
        guard let mine = cells[cistern], mine.comparable, let top = cells[ceiling], top.comparable else { return "n/a" }
        return Ratio.format(mine.value, over: top.value, floor: ratioFloor)
    }

    /// Whether Cistern loses to the best peer on this figure.
    /// Whether Cistern loses to the best peer on this figure by more than `lossTolerance`
    /// (or failed / was capped where a peer was not).
    public func cisternLoses(cistern: String = "cistern", peers: [String]) -> Bool {
        if isDiagnostic { return false }
        guard let best = bestPeer(peers) else { return false }
        guard let mine = cells[cistern]?.value, cells[cistern]?.comparable == true else {
            return cells[cistern] != nil
        }
        let margin = better == .lower ? best.value * (1 + Figure.lossTolerance) : best.value * (1 - Figure.lossTolerance)
        return !Ratio.wins(mine, against: margin, better: better)
    }
}
