import Foundation

/// Runs every scenario (S1–S8) against every target and collects figures and raw runs.
/// Off the per-request path: it builds plans, runs the in-process `LoadGenerator` (which
/// itself avoids Foundation), and reads origin counters between runs.
public final class SuiteRunner {
    /// Where and what to measure.
    public struct Setup: Sendable {
        /// The counting origin (also the "direct" target).
        public var origin: SuiteTarget
        /// Mirrors at their default worker counts (Cistern first), for S1, S2, S4–S7.
        public var mirrors: [SuiteTarget]
        /// Mirrors restricted to one loop / worker, for S3.
        public var singleWorkerMirrors: [SuiteTarget]
        /// Mirrors with two loops / workers allowed on both CPUs, for S8.
        public var twoCoreMirrors: [SuiteTarget] = []
        /// The ceiling (sendfile) server and its one-worker twin for S3.
        public var ceiling: SuiteTarget?
        public var singleWorkerCeiling: SuiteTarget?
        /// Directory the ceiling servers serve from (the suite writes the blobs there).
        public var ceilingDirectory: String?
        /// Scenarios to run (e.g. ["S1", "S2"]); empty = all.
        public var only: Set<String> = []

        /// A setup.
        public init(origin: SuiteTarget, mirrors: [SuiteTarget]) {
            self.origin = origin
            self.mirrors = mirrors
            singleWorkerMirrors = []
        }
    }

    let settings: SuiteSettings
    let setup: Setup
    let fixture: RegistryFixture
    /// Figures in report order.
    public private(set) var figures: [Figure] = []
    /// Raw runs in the order they ran.
    public private(set) var records: [RunRecord] = []
    /// Progress lines go here (stderr by default).
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    /// Prepares a run; computes the fixture the origin must be serving.
    public init(settings: SuiteSettings, setup: Setup) {
        self.settings = settings
        self.setup = setup
        fixture = RegistryFixture(layers: RegistryFixture.layers(sizes: settings.blobSizes))
    }

    /// Runs the selected scenarios.
    /// - Throws: `BenchError.invalid` when the origin serves a different fixture.
    public func run() throws {
        let manifest = try BlockingHTTP.request(port: setup.origin.port, path: "/v2/bench/r0k/manifests/latest")
        guard manifest.status == 200, SHA256Hasher.digest(of: manifest.body) == fixture.manifestDigest else {
            throw BenchError.invalid("origin on port \(setup.origin.port) serves another fixture; start it with --blob-sizes \(settings.blobSizes.map(String.init).joined(separator: ","))")
        }
        if let directory = setup.ceilingDirectory {
            for layer in fixture.layers { _ = layer.write(toPath: directory + "/" + layer.digest) }
            try Data(fixture.manifestBytes).write(to: URL(fileURLWithPath: directory + "/" + fixture.manifestDigest))
        }
        let scenarios: [(String, () throws -> Void)] = [
            ("S1", runColdFanOut), ("S2", runHotThroughput), ("S3", runSmallRequests), ("S4", runIdleMemory),
            ("S5", runLatencyUnderLoad), ("S6", runSlowLeader), ("S7", runRangeDuringFill), ("S8", runTwoCores),
        ]
        for (name, body) in scenarios where setup.only.isEmpty || setup.only.contains(name) {
            let started = Date()
            log("== \(name)")
            try body()
            log("== \(name) took \(Ratio.fixed(Date().timeIntervalSince(started), 1)) s")
        }
    }

    // MARK: Helpers shared by the scenarios

    /// Blob path for `layer` in the repository that asks for `rate`.
    func blobPath(_ layer: SyntheticBlob, rate: Int64) -> String {
        "/v2/" + OriginRoute.repository(rateBytesPerSecond: rate) + "/blobs/" + layer.digest
    }

    /// Runs `plan` against `target` and records it.
    @discardableResult
    func measure(_ scenario: String, _ setting: String, _ target: SuiteTarget, _ plan: LoadPlan,
                 trackedDigest: String? = nil, onHold: ((Int) -> Void)? = nil) throws -> (LoadResult, Int64) {
        var plan = plan
        plan.host = target.host
        plan.port = target.port
        let before = try trackedDigest.map { try originCount(digest: $0) }
        let generator = try LoadGenerator(plan: plan)
        generator.onHold = onHold
        let result = generator.run()
        var upstream: Int64 = -1
        if let trackedDigest, let before {
            // The mirror may still be finishing its fill after the clients are done.
            Thread.sleep(forTimeInterval: 0.2)
            upstream = try originCount(digest: trackedDigest) - before
        }
        records.append(RunRecord(scenario: scenario, setting: setting, target: target.name,
                                 connections: plan.connections, result: result, upstreamBytes: upstream))
        let ttlb = LatencySummary(result.ttlb)
        log("  \(scenario) \(setting) \(target.name): ok=\(result.succeeded) failed=\(result.failed + result.digestMismatches) unfinished=\(result.unfinished)\(result.capped ? " CAPPED" : "") ttlb p50=\(Ratio.fixed(Double(ttlb.p50) / 1000, 1))ms p99=\(Ratio.fixed(Double(ttlb.p99) / 1000, 1))ms \(Ratio.fixed(result.gibibytesPerSecond, 2))GiB/s \(Ratio.fixed(result.requestsPerSecond, 0))req/s cpu=\(Ratio.fixed(result.loadGeneratorCPUShare, 2))\(upstream >= 0 ? " upstream=\(upstream)" : "")")
        return (result, upstream)
    }

    /// Origin body bytes served so far for `digest`.
    func originCount(digest: String) throws -> Int64 {
        let response = try BlockingHTTP.request(port: setup.origin.port, path: "/stats")
        guard let counters = OriginCounters.parse(text: response.text) else { throw BenchError.invalid("bad /stats") }
        return counters[digest].bodyByteCount
    }

    /// Fetches `path` once through `target` (warm-up), verifying the digest when given.
    func warm(_ target: SuiteTarget, path: String, digest: String?) throws {
        var plan = LoadPlan(port: target.port, requests: [LoadRequest(path: path, expectedDigest: digest)],
                            connections: 1, mode: .closed(requestsPerConnection: 1))
        plan.host = target.host
        plan.timeCapNs = 60_000_000_000
        let result = try LoadGenerator(plan: plan).run()
        if result.succeeded != 1 { log("  warm-up of \(path) on \(target.name) failed: \(result.statusCounts)") }
    }

    /// A cell from a run: the value unless the run was capped or had failures.
    func cell(_ result: LoadResult, _ value: Double?, expected: Int) -> Figure.Cell {
        let bad = result.failed + result.digestMismatches
        let value = result.succeeded > 0 ? value : nil
        if result.capped {
            return Figure.Cell(value: value, note: "capped, \(result.succeeded)/\(expected) done", comparable: false)
        }
        if bad > 0 || result.succeeded < expected {
            return Figure.Cell(value: value, note: "\(bad) failed", comparable: false)
        }
        return Figure.Cell(value: value)
    }

    func add(_ figure: Figure) { figures.append(figure) }

    /// Names of the peers (mirrors other than Cistern) for ratios.
    public var peerNames: [String] { setup.mirrors.map(\.name).filter { $0 != "cistern" } }
}
