/// S1 (cold fan-out), S6 (slow or aborting first client) and S7 (range during a fill).
extension SuiteRunner {
    private static let mib = Double(1 << 20)

    /// S1: N clients ask one cold blob at once; each mirror fills it from an origin that
    /// sends `rate` per connection. Direct = the same N clients on the origin.
    func runColdFanOut() throws {
        for (rateIndex, rate) in settings.ratesBytesPerSecond.enumerated() {
            let rateText = "\(Ratio.fixed(Double(rate) / Self.mib, 0)) MiB/s"
            // The reference: one client downloading straight from the origin.
            let reference = fixture.layers[settings.fanOutLayer(rate: rateIndex, fanOut: 0)]
            var single = LoadPlan(port: 0, requests: [LoadRequest(path: blobPath(reference, rate: rate), expectedDigest: reference.digest)],
                                  connections: 1, mode: .closed(requestsPerConnection: 1))
            single.timeCapNs = seconds(settings.fanOutCapSeconds)
            let (direct, _) = try measure("S1", "\(rateText) reference", setup.origin, single)
            let directSeconds = Double(LatencySummary(direct.ttlb).p50) / 1e6
            for (fanOutIndex, clients) in settings.fanOuts.enumerated() {
                let layer = fixture.layers[settings.fanOutLayer(rate: rateIndex, fanOut: fanOutIndex)]
                let setting = "\(rateText), N=\(clients), \(Ratio.fixed(Double(layer.byteCount) / Self.mib, 0)) MiB, direct dl \(Ratio.fixed(directSeconds, 2)) s"
                // Verifying 1000 × blob SHA-256 would make the client the bottleneck: verify
                // at small N (correctness), discard in the kernel at large N (speed).
                let verify = clients <= 10 ? layer.digest : nil
                var plan = LoadPlan(port: 0, requests: [LoadRequest(path: blobPath(layer, rate: rate), expectedDigest: verify)],
                                    connections: clients, mode: .closed(requestsPerConnection: 1))
                plan.timeCapNs = seconds(settings.fanOutCapSeconds)
                var upstream = Figure(scenario: "S1", setting: setting, metric: "upstream bytes ÷ blob", unit: "×", better: .lower)
                var ttfb50 = Figure(scenario: "S1", setting: setting, metric: "waiter TTFB p50", unit: "ms", better: .lower)
                var ttfb99 = Figure(scenario: "S1", setting: setting, metric: "waiter TTFB p99", unit: "ms", better: .lower)
                var ttlb50 = Figure(scenario: "S1", setting: setting, metric: "TTLB p50 ÷ direct dl", unit: "×", better: .lower)
                var ttlb99 = Figure(scenario: "S1", setting: setting, metric: "TTLB p99 ÷ direct dl", unit: "×", better: .lower)
                var ttlbMax = Figure(scenario: "S1", setting: setting, metric: "TTLB max ÷ direct dl", unit: "×", better: .lower)
                for target in setup.mirrors + [setup.origin] + (setup.ceiling.map { [$0] } ?? []) {
                    let (result, bytes) = try measure("S1", setting, target, plan, trackedDigest: target.kind == .mirror ? layer.digest : nil)
                    let name = target.kind == .direct ? "direct" : target.name
                    let ttfb = LatencySummary(result.ttfb)
                    let ttlb = LatencySummary(result.ttlb)
                    if target.kind == .mirror {
                        upstream.cells[name] = cell(result, Double(bytes) / Double(layer.byteCount), expected: clients)
                    } else if target.kind == .direct {
                        upstream.cells[name] = Figure.Cell(value: Double(clients))
                    }
                    ttfb50.cells[name] = cell(result, Double(ttfb.p50) / 1000, expected: clients)
                    ttfb99.cells[name] = cell(result, Double(ttfb.p99) / 1000, expected: clients)
                    ttlb50.cells[name] = cell(result, Double(ttlb.p50) / 1e6 / directSeconds, expected: clients)
                    ttlb99.cells[name] = cell(result, Double(ttlb.p99) / 1e6 / directSeconds, expected: clients)
                    ttlbMax.cells[name] = cell(result, Double(ttlb.max) / 1e6 / directSeconds, expected: clients)
                }
                [upstream, ttfb50, ttfb99, ttlb50, ttlb99, ttlbMax].forEach(add)
            }
        }
    }

    /// S6: like S1 at the fast rate, but the first client (which starts the fill) reads at
    /// 1 MiB/s, or aborts at 10 %; the other clients must not suffer for it.
    func runSlowLeader() throws {
        let rate = settings.fastRate
        let variants: [(String, Int, LoadPlan.Leader)] = [
            ("first client reads 1 MiB/s", settings.slowLeaderLayer, .readRate(bytesPerSecond: settings.slowLeaderBytesPerSecond)),
            ("first client aborts at 10%", settings.abortLeaderLayer, .abortAfter(fraction: settings.abortFraction)),
        ]
        let directSeconds = Double(settings.blobBytes(rate: rate, seconds: settings.fillSeconds)) / Double(rate)
        for (label, layerIndex, leader) in variants {
            let layer = fixture.layers[layerIndex]
            let followers = settings.slowLeaderFollowers
            let setting = "\(label), \(followers) followers, \(Ratio.fixed(Double(rate) / Self.mib, 0)) MiB/s"
            var plan = LoadPlan(port: 0, requests: [LoadRequest(path: blobPath(layer, rate: rate), expectedDigest: layer.digest)],
                                connections: followers + 1, mode: .closed(requestsPerConnection: 1))
            plan.leader = leader
            plan.followersDelayNs = seconds(settings.followersDelaySeconds)
            plan.timeCapNs = seconds(settings.fanOutCapSeconds)
            var ttlb50 = Figure(scenario: "S6", setting: setting, metric: "followers TTLB p50 ÷ direct dl", unit: "×", better: .lower)
            var ttlbMax = Figure(scenario: "S6", setting: setting, metric: "followers TTLB max ÷ direct dl", unit: "×", better: .lower)
            var upstream = Figure(scenario: "S6", setting: setting, metric: "upstream bytes ÷ blob", unit: "×", better: .lower)
            for target in setup.mirrors {
                let (result, bytes) = try measure("S6", setting, target, plan, trackedDigest: layer.digest)
                let ttlb = LatencySummary(result.ttlb)
                ttlb50.cells[target.name] = cell(result, Double(ttlb.p50) / 1e6 / directSeconds, expected: followers)
                ttlbMax.cells[target.name] = cell(result, Double(ttlb.max) / 1e6 / directSeconds, expected: followers)
                upstream.cells[target.name] = cell(result, Double(bytes) / Double(layer.byteCount), expected: followers)
            }
            [ttlb50, ttlbMax, upstream].forEach(add)
        }
    }

    /// S7: one client starts a slow fill; a second asks for the last MiB a second later.
    func runRangeDuringFill() throws {
        let rate = settings.slowRate
        let layer = fixture.layers[settings.rangeLayer]
        let rangeBytes: Int64 = 1 << 20
        let expected = layer.digest(of: (layer.byteCount - rangeBytes)..<layer.byteCount)
        let setting = "\(Ratio.fixed(Double(layer.byteCount) / Self.mib, 0)) MiB fill at \(Ratio.fixed(Double(rate) / Self.mib, 0)) MiB/s, range asked after \(Ratio.fixed(settings.rangeDelaySeconds, 1)) s"
        let range = LoadRequest(path: blobPath(layer, rate: rate), range: "bytes=-\(rangeBytes)", expectedDigest: expected)
        var plan = LoadPlan(port: 0, requests: [range], connections: 2, mode: .closed(requestsPerConnection: 1))
        plan.leader = .unmeasured
        plan.waitForLeader = true
        plan.leaderRequest = LoadRequest(path: blobPath(layer, rate: rate))
        plan.followersDelayNs = seconds(settings.rangeDelaySeconds)
        plan.timeCapNs = seconds(settings.rangeFillSeconds * 3)
        var ttfb = Figure(scenario: "S7", setting: setting, metric: "range TTFB", unit: "ms", better: .lower)
        var ttlb = Figure(scenario: "S7", setting: setting, metric: "range TTLB", unit: "ms", better: .lower)
        var upstream = Figure(scenario: "S7", setting: setting, metric: "upstream bytes ÷ blob", unit: "×", better: .lower)
        for target in setup.mirrors + (setup.ceiling.map { [$0] } ?? []) {
            let (result, bytes) = try measure("S7", setting, target, plan, trackedDigest: target.kind == .mirror ? layer.digest : nil)
            var first = cell(result, Double(LatencySummary(result.ttfb).p50) / 1000, expected: 1)
            var last = cell(result, Double(LatencySummary(result.ttlb).p50) / 1000, expected: 1)
            if result.statusCounts[206] == nil, let status = result.statusCounts.keys.first {
                first.note = "status \(status)"
                last.note = "status \(status)"
            }
            ttfb.cells[target.name] = first
            ttlb.cells[target.name] = last
            if target.kind == .mirror {
                // Wait for the leader's fill to end before reading the origin's count.
                upstream.cells[target.name] = cell(result, Double(bytes) / Double(layer.byteCount), expected: 1)
            }
        }
        [ttfb, ttlb, upstream].forEach(add)
    }

    func seconds(_ value: Double) -> Int64 { Int64(value * 1e9) }
}
