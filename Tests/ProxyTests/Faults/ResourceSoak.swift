import Foundation
import Testing

/// Repeats one fault against a `cistern` process and compares what the process holds before
/// and after (issue 6 item 1: "no file descriptor or memory leaks: check /proc/self/fd and
/// memory after 1,000 repetitions").
///
/// The count comes from `CISTERN_SOAK_REPETITIONS` (default 20, the short version CI runs;
/// `scripts/soak` runs 1,000). A warm-up of a tenth of that (at least 5) runs first, so
/// one-time allocations (pooled upstream connections, lazily created metric series, the
/// allocator's own arenas) are in the baseline. Readings are taken with the process idle: no
/// fill in flight and no client connection but the scrape's own.
///
/// Bounds, after the repetitions:
/// - descriptors: at most `descriptorSlack` above the baseline (idle pooled upstream
///   connections may differ by a few); one leaked per repetition would be hundreds;
/// - heap in use (glibc `mallinfo2`, via `/metrics`): at most `heapSlackBytes` plus
///   `heapBytesPerRepetition` per repetition above the baseline; a leaked read buffer
///   (64 KiB+) or fill record per repetition would exceed it many times over;
/// - resident memory: at most `residentSlackBytes` above the baseline (the allocator keeps
///   freed pages, so RSS only bounds gross growth).
/// Memory bounds are skipped under sanitizers (`CISTERN_SANITIZER`), whose allocators and
/// shadow memory change both readings; descriptor bounds are not.
struct ResourceSoak {
    /// Repetitions measured (after the warm-up).
    static let repetitions: Int = {
        let configured = ProcessInfo.processInfo.environment["CISTERN_SOAK_REPETITIONS"].flatMap { Int($0) }
        return max(1, configured ?? 20)
    }()
    /// Repetitions before the baseline reading.
    static let warmUpRepetitions = max(5, repetitions / 10)
    /// Descriptors the idle process may hold above its baseline.
    static let descriptorSlack = 4
    /// Heap growth tolerated whatever the count, for noise (metric rendering, allocator
    /// bookkeeping).
    static let heapSlackBytes = 512 * 1024
    /// Heap growth tolerated per repetition: far below any buffer or connection a
    /// repetition allocates, so a leak of one per repetition shows.
    static let heapBytesPerRepetition = 256
    /// Resident-memory growth tolerated.
    static let residentSlackBytes = 16 << 20

    /// What one soak saw.
    struct Outcome {
        let baseline: CisternProcess.Resources
        let final: CisternProcess.Resources
        /// Repetitions whose observation was not the expected one.
        let unexpectedCount: Int
        /// The first few of those, described.
        let unexpectedSamples: [String]
    }

    let cistern: CisternProcess
    /// Names the fault in messages and in the printed summary.
    let label: String

    /// Runs `repetition` (given its index) for the warm-up and then for the measured
    /// repetitions; it returns nil when the client saw what it should, or a description of
    /// what it saw instead. Then checks the bounds above (recording issues at
    /// `sourceLocation`) and prints one summary line.
    /// - Throws: what `repetition` throws, or a reading error.
    @discardableResult
    func run(sourceLocation: SourceLocation = #_sourceLocation, _ repetition: (Int) throws -> String?) throws -> Outcome {
        var unexpected: [String] = []
        var unexpectedCount = 0
        func perform(_ index: Int) throws {
            if let problem = try repetition(index) {
                unexpectedCount += 1
                if unexpected.count < 3 { unexpected.append("repetition \(index): \(problem)") }
            }
        }
        for index in 0..<Self.warmUpRepetitions { try perform(index) }
        let baseline = try settledResources(sourceLocation: sourceLocation)
        for index in Self.warmUpRepetitions..<(Self.warmUpRepetitions + Self.repetitions) { try perform(index) }
        var final = try settledResources(sourceLocation: sourceLocation)
        // Closing descriptors can trail the idle readings (a pooled upstream connection the
        // peer closed is noticed on the next loop turn); give them a moment.
        let deadline = ContinuousClock.now + .seconds(5)
        while final.openDescriptors > baseline.openDescriptors + Self.descriptorSlack, ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(50))
            final = try cistern.resources()
        }
        print("soak \(label): \(Self.repetitions) repetitions; before \(baseline); after \(final); unexpected \(unexpectedCount)")

        #expect(unexpectedCount == 0, "\(label): \(unexpectedCount) unexpected outcomes, e.g. \(unexpected)", sourceLocation: sourceLocation)
        #expect(final.openDescriptors <= baseline.openDescriptors + Self.descriptorSlack,
                "\(label): descriptors \(baseline.openDescriptors) → \(final.openDescriptors) over \(Self.repetitions) repetitions",
                sourceLocation: sourceLocation)
        if ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil {
            let heapBound = Self.heapSlackBytes + Self.heapBytesPerRepetition * Self.repetitions
            #expect(final.heapInUseBytes - baseline.heapInUseBytes <= heapBound,
                    "\(label): heap in use \(baseline.heapInUseBytes) → \(final.heapInUseBytes) bytes (bound +\(heapBound))",
                    sourceLocation: sourceLocation)
            #expect(final.residentBytes - baseline.residentBytes <= Self.residentSlackBytes,
                    "\(label): resident \(baseline.residentBytes) → \(final.residentBytes) bytes", sourceLocation: sourceLocation)
        }
        return Outcome(baseline: baseline, final: final, unexpectedCount: unexpectedCount, unexpectedSamples: unexpected)
    }

    /// Waits (up to 30 s) until no fill is in flight and no client connection is open but the
    /// scrape's own, then reads the resources.
    private func settledResources(sourceLocation: SourceLocation = #_sourceLocation) throws -> CisternProcess.Resources {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let fills = try cistern.metric("cistern_fills_in_flight") ?? -1
            let connections = try cistern.metric("cistern_connections_open") ?? -1
            if fills == 0 && connections <= 1 { break }
            guard ContinuousClock.now < deadline else {
                Issue.record("\(label): never idle: \(fills) fills in flight, \(connections) connections open", sourceLocation: sourceLocation)
                break
            }
            TestTime.sleep(.milliseconds(20))
        }
        return try cistern.resources()
    }
}
