import Foundation

/// S1N (issue 19): S1 at N = 10,000 waiters on one cold 64 MiB blob. Target: one upstream
/// fetch, every body correct, RSS growth < 64 MiB, waiter TTFB p99 ≤ 1 s.
extension SuiteRunner {
    /// Runs S1N against every mirror (each asked a blob it never saw: the first mirror's
    /// fill does not warm the others, which fetch from the origin themselves).
    func runLargeFanOut() throws {
        guard let waiters = settings.largeFanOutWaiters else { return }
        let layer = fixture.layers[settings.largeFanOutLayer]
        let path = blobPath(layer, rate: 0)
        let verifyEvery = max(1, settings.largeFanOutVerifyEvery)
        // Round-robin over the connections: one verified body in `verifyEvery`.
        let requests = [LoadRequest(path: path, expectedDigest: layer.digest)]
            + Array(repeating: LoadRequest(path: path), count: verifyEvery - 1)
        var plan = LoadPlan(port: 0, requests: requests, connections: waiters, mode: .closed(requestsPerConnection: 1))
        plan.timeCapNs = seconds(settings.largeFanOutCapSeconds)
        plan.maxPendingConnects = 1024
        plan.preconnect = true
        let setting = "N=\(waiters), \(layer.byteCount >> 20) MiB, unthrottled origin, preconnected, cap \(Int(settings.largeFanOutCapSeconds)) s, 1 in \(verifyEvery) verified"
        var upstream = Figure(scenario: "S1N", setting: setting, metric: "upstream bytes ÷ blob", unit: "×", better: .lower)
        var firstBytes = Figure(scenario: "S1N", setting: setting, metric: "waiters with a first byte", unit: "", better: .higher)
        var ttfb50 = Figure(scenario: "S1N", setting: setting, metric: "waiter TTFB p50", unit: "ms", better: .lower)
        var ttfb99 = Figure(scenario: "S1N", setting: setting, metric: "waiter TTFB p99", unit: "ms", better: .lower)
        var finished = Figure(scenario: "S1N", setting: setting, metric: "bodies complete and correct by the cap", unit: "", better: .higher)
        var memory = Figure(scenario: "S1N", setting: setting, metric: "peak PSS growth", unit: "MiB", better: .lower)
        for target in setup.mirrors {
            let sampler = target.pid.map { PeakMemorySampler(pid: $0) }
            sampler?.start()
            let (result, bytes) = try measure("S1N", setting, target, plan, trackedDigest: layer.digest)
            let growth = sampler?.stop()
            let first = LatencySummary(result.firstByte)
            upstream.cells[target.name] = Figure.Cell(value: Double(bytes) / Double(layer.byteCount))
            firstBytes.cells[target.name] = Figure.Cell(value: Double(result.firstByte.totalCount))
            ttfb50.cells[target.name] = Figure.Cell(value: Double(first.p50) / 1000)
            ttfb99.cells[target.name] = Figure.Cell(value: Double(first.p99) / 1000)
            finished.cells[target.name] = Figure.Cell(value: Double(result.succeeded),
                                                      note: result.failed + result.digestMismatches > 0 ? "\(result.failed) failed, \(result.digestMismatches) wrong" : nil)
            memory.cells[target.name] = Figure.Cell(value: growth.map { Double($0) / Double(1 << 20) })
            log("  S1N \(target.name): first bytes \(result.firstByte.totalCount)/\(waiters), TTFB p99 \(Double(first.p99) / 1000) ms, peak PSS growth \(growth.map { "\($0 >> 20) MiB" } ?? "n/a")")
        }
        [upstream, firstBytes, ttfb50, ttfb99, finished, memory].forEach(add)
    }
}

/// The peak PSS growth of a process tree over a run, sampled every 100 ms on its own thread
/// (reading /proc costs the sampler, not the server).
final class PeakMemorySampler: @unchecked Sendable {
    // Invariant: `peak` and `running` are only touched under `lock`.
    private let pid: Int32
    private let lock = NSLock()
    private var peak: Int64 = 0
    private var running = true
    private var baseline: Int64 = 0
    private let done = DispatchSemaphore(value: 0)

    init(pid: Int32) { self.pid = pid }

    func start() {
        baseline = ProcessMemory.proportionalBytes(ofTree: pid) ?? 0
        peak = baseline
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                if let now = ProcessMemory.proportionalBytes(ofTree: pid) { lock.withLock { peak = max(peak, now) } }
                Thread.sleep(forTimeInterval: 0.1)
            }
            done.signal()
        }
    }

    /// Stops sampling; peak − baseline in bytes.
    func stop() -> Int64 {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { peak } - baseline
    }
}
