import Foundation

/// Waiting for a daemon the tests started (containerd, dockerd) to answer its API.
enum DaemonReadiness {
    /// Polls `isReady` every 50 ms until it returns true, the daemon exits, or `timeout` passes.
    /// A daemon that cannot start here must fail the test, never skip it (CI runs on the same
    /// kind of machine), so both failures carry the daemon's log.
    /// - Throws: `ContainerClientFailure.daemonDidNotStart` (after stopping the daemon).
    static func wait(
        name: String, child: ChildProcess, timeout: Duration, logURL: URL,
        isReady: @Sendable () async -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let termination = child.termination {
                throw ContainerClientFailure.daemonDidNotStart(
                    name: name, log: "ended with \(termination):\n\(logTail(logURL))")
            }
            if await isReady() { return }
            guard ContinuousClock.now < deadline else {
                child.stop()
                throw ContainerClientFailure.daemonDidNotStart(
                    name: name, log: "no answer within \(timeout):\n\(logTail(logURL))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The last 6,000 bytes of a daemon's log.
    static func logTail(_ url: URL) -> String {
        String(decoding: ((try? Data(contentsOf: url)) ?? Data()).suffix(6000), as: UTF8.self)
    }
}
