import ArgumentParser
import BenchCore
import Foundation

/// `cistern-bench suite`: runs S1–S8 against the given mirrors, the ceiling and the origin,
/// and writes the table, CSVs and plots. `bench/run.sh` starts everything and calls this.
struct SuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run every scenario against every target and write the report."
    )

    @Flag(help: "The short variant (under 3 minutes).")
    var quick = false

    @Flag(help: "Print the blob sizes the origin must serve (for --blob-sizes) and exit.")
    var printBlobSizes = false

    @Option(help: "The counting origin, http://127.0.0.1:PORT.")
    var origin: String?

    @Option(name: .customLong("mirror"), help: "A mirror, name=http://127.0.0.1:PORT[@PID]; repeat. Name Cistern 'cistern'.")
    var mirrors: [String] = []

    @Option(name: .customLong("single-worker-mirror"), help: "A one-worker mirror for S3, name=URL; repeat.")
    var singleWorkerMirrors: [String] = []

    @Option(name: .customLong("two-core-mirror"), help: "A two-worker mirror on both CPUs for S8, name=URL; repeat.")
    var twoCoreMirrors: [String] = []

    @Option(help: "The ceiling sendfile server, http://127.0.0.1:PORT[@PID].")
    var ceiling: String?

    @Option(help: "The one-worker ceiling for S3, http://127.0.0.1:PORT.")
    var singleWorkerCeiling: String?

    @Option(help: "Directory the ceiling servers serve from (blobs are written there).")
    var ceilingDirectory: String?

    @Option(help: "Comma-separated scenarios to run (default: all), e.g. S1,S3.")
    var only: String?

    @Option(help: "Directory for table.md, report.md, figures.csv, runs.csv and the plots.")
    var results: String = "bench/results/latest"

    @Option(name: .customLong("note"), help: "A line for the report's header (machine, versions); repeat.")
    var notes: [String] = []

    func run() throws {
        CisternBench.prepareProcess()
        let settings = SuiteSettings(quick: quick)
        if printBlobSizes {
            print(settings.blobSizes.map(String.init).joined(separator: ","))
            return
        }
        guard let origin else { throw ValidationError("--origin is required") }
        var originTarget = try SuiteTarget.parse("direct=" + origin, kind: .direct)
        originTarget.name = "direct"
        var setup = SuiteRunner.Setup(origin: originTarget, mirrors: try mirrors.map { try SuiteTarget.parse($0, kind: .mirror) })
        setup.singleWorkerMirrors = try singleWorkerMirrors.map { try SuiteTarget.parse($0, kind: .mirror) }
        setup.twoCoreMirrors = try twoCoreMirrors.map { try SuiteTarget.parse($0, kind: .mirror) }
        setup.ceiling = try ceiling.map { try SuiteTarget.parse("ceiling=" + $0, kind: .ceiling) }
        setup.singleWorkerCeiling = try singleWorkerCeiling.map { try SuiteTarget.parse("ceiling=" + $0, kind: .ceiling) }
        setup.ceilingDirectory = ceilingDirectory
        setup.only = Set((only ?? "").split(separator: ",").map(String.init))
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)

        let started = Date()
        let runner = SuiteRunner(settings: settings, setup: setup)
        try runner.run()
        let elapsed = Date().timeIntervalSince(started)

        let columns = setup.mirrors.map(\.name) + ["direct", "ceiling"]
        let report = SuiteReport(figures: runner.figures, records: runner.records, columns: columns, peers: runner.peerNames)
        let plots = try report.write(to: results)
        var text = "# Cistern benchmark (\(quick ? "quick" : "full") suite)\n\n"
        for note in notes { text += "- \(note)\n" }
        text += "- suite wall time: \(Int(elapsed)) s\n\n"
        text += "## Results\n\nRatios: Cistern ÷ best peer (nginx, Varnish, docker-registry: whichever is best on that figure, named in brackets) and Cistern ÷ ceiling (plain sendfile server). For a figure where lower is better, a ratio below 1 means Cistern wins; where higher is better, above 1. Values in brackets after a number are caveats (capped = the run hit its time cap; the number covers only the clients that finished).\n\n"
        text += report.markdownTable + "\n\n## Where Cistern loses to a peer\n\n"
        let losses = report.losses
        text += losses.isEmpty ? "Nowhere in this run.\n" : losses.joined(separator: "\n") + "\n"
        if !plots.isEmpty {
            text += "\n## Plots\n\n" + plots.map { "![\(($0 as NSString).lastPathComponent)](\(($0 as NSString).lastPathComponent))" }.joined(separator: "\n") + "\n"
        }
        try text.write(toFile: results + "/report.md", atomically: true, encoding: .utf8)
        print(report.markdownTable)
        print("\nWhere Cistern loses:\n" + (losses.isEmpty ? "nowhere" : losses.joined(separator: "\n")))
        print("\nwrote \(results)/report.md, table.md, figures.csv, runs.csv\(plots.isEmpty ? "" : ", " + plots.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))")
    }
}
