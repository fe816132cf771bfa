/// S2 (hot blob throughput), S3 (small requests on one core) and S5 (small-request latency
/// while blobs stream).
extension SuiteRunner {
    private var hotLayer: SyntheticBlob { fixture.layers[settings.hotLayer] }
    private var hotPath: String { blobPath(hotLayer, rate: 0) }
    private var manifestPath: String { "/v2/bench/r0k/manifests/\(fixture.manifestDigest)" }

    /// Puts the hot blob and the manifest into `target`'s cache.
    private func warmHot(_ target: SuiteTarget) throws {
        try warm(target, path: hotPath, digest: hotLayer.digest)
        try warm(target, path: manifestPath, digest: fixture.manifestDigest)
        try warm(target, path: "/v2/", digest: nil)
    }

    /// S2: c connections download the cached blob back to back; GiB/s.
    func runHotThroughput() throws {
        let targets = setup.mirrors + (setup.ceiling.map { [$0] } ?? [])
        for target in targets { try warmHot(target) }
        for connections in settings.throughputConnections {
            let setting = "c=\(connections), \(Ratio.fixed(Double(hotLayer.byteCount) / Double(1 << 20), 0)) MiB blob"
            var plan = LoadPlan(port: 0, requests: [LoadRequest(path: hotPath)], connections: connections, mode: .closed(requestsPerConnection: nil))
            plan.durationNs = seconds(settings.steadySeconds)
            plan.timeCapNs = seconds(settings.steadySeconds + 30)
            var figure = Figure(scenario: "S2", setting: setting, metric: "throughput", unit: "GiB/s", better: .higher)
            var cpu = Figure(scenario: "S2", setting: setting, metric: "load generator CPU share", unit: "core", better: .lower)
            cpu.isDiagnostic = true
            let runs = try inRounds(targets) { try measure("S2", setting, $0, plan).0 }
            for (name, results) in runs {
                figure.cells[name] = medianCell(results, expected: \.succeeded, value: \.gibibytesPerSecond)
                cpu.cells[name] = medianCell(results, expected: \.succeeded, value: \.loadGeneratorCPUShare)
            }
            add(figure)
            add(cpu)
        }
    }

    /// S3: HEAD blob, GET manifest by digest, GET /v2/ with one loop / worker each, all on
    /// the same CPU; req/s and p99.
    func runSmallRequests() throws {
        let targets = setup.singleWorkerMirrors + (setup.singleWorkerCeiling.map { [$0] } ?? [])
        for target in targets { try warmHot(target) }
        let requests: [(String, LoadRequest)] = [
            ("HEAD blob", LoadRequest(method: .head, path: hotPath)),
            ("GET manifest by digest", LoadRequest(path: manifestPath, expectedDigest: fixture.manifestDigest)),
            ("GET /v2/", LoadRequest(path: "/v2/")),
        ]
        for (label, request) in requests {
            let setting = "\(label), c=\(settings.smallConnections), one worker"
            var plan = LoadPlan(port: 0, requests: [request], connections: settings.smallConnections, mode: .closed(requestsPerConnection: nil))
            plan.durationNs = seconds(settings.steadySeconds)
            plan.timeCapNs = seconds(settings.steadySeconds + 30)
            var rate = Figure(scenario: "S3", setting: setting, metric: "requests/s", unit: "req/s", better: .higher)
            var p99 = Figure(scenario: "S3", setting: setting, metric: "latency p99", unit: "ms", better: .lower)
            var cpu = Figure(scenario: "S3", setting: setting, metric: "load generator CPU share", unit: "core", better: .lower)
            cpu.isDiagnostic = true
            let runs = try inRounds(targets, name: { $0.kind == .ceiling ? "ceiling" : $0.name }) {
                try measure("S3", setting, $0, plan).0
            }
            for (name, results) in runs {
                rate.cells[name] = medianCell(results, expected: \.succeeded, value: \.requestsPerSecond)
                p99.cells[name] = medianCell(results, expected: \.succeeded) { Double(LatencySummary($0.ttlb).p99) / 1000 }
                cpu.cells[name] = medianCell(results, expected: \.succeeded, value: \.loadGeneratorCPUShare)
            }
            add(rate)
            add(p99)
            add(cpu)
        }
    }

    /// S5: GET manifest by digest at a fixed rate (open loop) while 4 clients stream the hot
    /// blob; p50/p99/p99.9.
    func runLatencyUnderLoad() throws {
        let targets = setup.mirrors + (setup.ceiling.map { [$0] } ?? [])
        for target in targets { try warmHot(target) }
        let setting = "\(Ratio.fixed(settings.latencyRequestsPerSecond, 0)) req/s manifest GETs + \(settings.latencyStreams) blob streams"
        var plan = LoadPlan(port: 0, requests: [LoadRequest(path: manifestPath, expectedDigest: fixture.manifestDigest)],
                            connections: 16, mode: .open(requestsPerSecond: settings.latencyRequestsPerSecond))
        plan.durationNs = seconds(settings.latencySeconds)
        plan.timeCapNs = seconds(settings.latencySeconds + 30)
        plan.backgroundConnections = settings.latencyStreams
        plan.backgroundRequest = LoadRequest(path: hotPath)
        var p50 = Figure(scenario: "S5", setting: setting, metric: "latency p50", unit: "ms", better: .lower)
        var p99 = Figure(scenario: "S5", setting: setting, metric: "latency p99", unit: "ms", better: .lower)
        var p999 = Figure(scenario: "S5", setting: setting, metric: "latency p99.9", unit: "ms", better: .lower)
        var streamed = Figure(scenario: "S5", setting: setting, metric: "background stream throughput", unit: "GiB/s", better: .higher)
        let expected = Int(settings.latencyRequestsPerSecond * settings.latencySeconds)
        let runs = try inRounds(targets) { try measure("S5", setting, $0, plan).0 }
        for (name, results) in runs {
            p50.cells[name] = medianCell(results, expected: { _ in expected }) { Double(LatencySummary($0.ttlb).p50) / 1000 }
            p99.cells[name] = medianCell(results, expected: { _ in expected }) { Double(LatencySummary($0.ttlb).p99) / 1000 }
            p999.cells[name] = medianCell(results, expected: { _ in expected }) { Double(LatencySummary($0.ttlb).p999) / 1000 }
            streamed.cells[name] = medianCell(results, expected: { _ in expected }) {
                Double($0.backgroundByteCount) / Double(1 << 30) / (Double($0.wallNs) / 1e9)
            }
        }
        [p50, p99, p999, streamed].forEach(add)
    }
}
