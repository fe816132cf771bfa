import Foundation

extension RegistryProcess {
    /// The requests this registry answered since start (or the last `resetRequestLog()`),
    /// oldest first, across restarts, without the fixtures' own probes.
    ///
    /// The access log line is written after the response's last byte, so a client can finish
    /// before its line exists. This first sends a marker request (when the process runs and is
    /// not suspended) and waits for its line, then until the log has not grown for 50 ms
    /// (250 ms without a marker); all bounded by 5 s.
    /// - Throws: `Failure.accessLogDidNotSettle` when that does not happen in time.
    func requests() async throws -> [RegistryRequest] {
        let (lines, baseline) = try await settledAccessLog()
        return lines.dropFirst(baseline)
            .compactMap { RegistryRequest(accessLogLine: $0) }
            .filter { !$0.uri.contains(Self.fixtureQueryMarker) }
    }

    /// How many requests (see `requests()`) had this method and a path ending in `pathSuffix`.
    func requestCount(method: String, pathSuffix: String) async throws -> Int {
        try await requests().filter { $0.method == method && $0.path.hasSuffix(pathSuffix) }.count
    }

    /// How many requests (see `requests()`) had this method and a path containing `fragment`.
    func requestCount(method: String, pathContaining fragment: String) async throws -> Int {
        try await requests().filter { $0.method == method && $0.path.contains(fragment) }.count
    }

    /// Makes `requests()` start after everything logged so far (once the log has settled).
    func resetRequestLog() async throws {
        let (lines, _) = try await settledAccessLog()
        running.withLock { $0.baselineLineCount = lines.count }
    }

    /// Every complete access-log line once settled, and the baseline line count.
    private func settledAccessLog() async throws -> ([Substring], Int) {
        let (canMark, marker) = running.withLock { state -> (Bool, String) in
            state.markerCount += 1
            return (state.child != nil && !state.isSuspended, "\(Self.fixtureQueryMarker)sync-\(state.markerCount)")
        }
        let markerSent = canMark ? await probe(query: marker) : false
        let quietPeriod: Duration = markerSent ? .milliseconds(50) : (canMark ? .milliseconds(250) : .zero)
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        var lastCount = -1
        var stableSince = ContinuousClock.now
        while true {
            let lines = completeAccessLogLines()
            let now = ContinuousClock.now
            if lines.count != lastCount {
                lastCount = lines.count
                stableSince = now
            }
            let markerSeen = !markerSent || lines.reversed().contains { $0.contains(marker + " ") }
            if markerSeen && now - stableSince >= quietPeriod {
                return (lines, running.withLock { $0.baselineLineCount })
            }
            guard now < deadline else { throw Failure.accessLogDidNotSettle(lineCount: lines.count) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The access log's newline-terminated lines (a line still being written is left out).
    private func completeAccessLogLines() -> [Substring] {
        let text = String(decoding: (try? Data(contentsOf: accessLogURL)) ?? Data(), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // after the last "\n": empty, or a partial line
        return lines.filter { !$0.isEmpty }
    }
}
