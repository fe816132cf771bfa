/// S8: scaling across loops. Cistern with two loops and nginx with two workers, each
/// allowed both CPUs (not pinned), on the hot blob and on GET manifest by digest; the load
/// generator stays on its CPU, so its CPU share says how much of the second core it took
/// from the server (at 1.0 it was the limit, not the server).
extension SuiteRunner {
    /// Runs S8 against `setup.twoCoreMirrors` (skipped when none were given).
    func runTwoCores() throws {
        let targets = setup.twoCoreMirrors
        guard !targets.isEmpty else {
            log("  S8 skipped: no --two-core-mirror given")
            return
        }
        let hot = fixture.layers[settings.hotLayer]
        let hotPath = blobPath(hot, rate: 0)
        let manifestPath = "/v2/bench/r0k/manifests/\(fixture.manifestDigest)"
        for target in targets {
            try warm(target, path: hotPath, digest: hot.digest)
            try warm(target, path: manifestPath, digest: fixture.manifestDigest)
        }
        let cases: [(setting: String, request: LoadRequest, connections: Int, metric: String, unit: String)] = [
            ("hot blob, c=16, both CPUs", LoadRequest(path: hotPath), 16, "throughput", "GiB/s"),
            ("GET manifest by digest, c=\(settings.smallConnections), both CPUs",
             LoadRequest(path: manifestPath, expectedDigest: fixture.manifestDigest), settings.smallConnections, "requests/s", "req/s"),
        ]
        for entry in cases {
            var plan = LoadPlan(port: 0, requests: [entry.request], connections: entry.connections, mode: .closed(requestsPerConnection: nil))
            plan.durationNs = seconds(settings.steadySeconds)
            plan.timeCapNs = seconds(settings.steadySeconds + 30)
            var figure = Figure(scenario: "S8", setting: entry.setting, metric: entry.metric, unit: entry.unit, better: .higher)
            var cpu = Figure(scenario: "S8", setting: entry.setting, metric: "load generator CPU share", unit: "core", better: .lower)
            cpu.isDiagnostic = true
            for target in targets {
                let (result, _) = try measure("S8", entry.setting, target, plan)
                let value = entry.unit == "GiB/s" ? result.gibibytesPerSecond : result.requestsPerSecond
                figure.cells[target.name] = cell(result, value, expected: result.succeeded)
                cpu.cells[target.name] = Figure.Cell(value: result.loadGeneratorCPUShare)
            }
            add(figure)
            add(cpu)
        }
    }
}
