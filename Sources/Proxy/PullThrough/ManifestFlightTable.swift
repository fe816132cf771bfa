/// A manifest answer: the stored manifest and how it was obtained.
public struct ManifestAnswer: Sendable {
    public var manifest: StoredManifest
    public var outcome: CacheOutcome
    /// When the tag was last confirmed (ns since the epoch), for Cache-Control.
    public var confirmedAtNanoseconds: Int64?
}

/// The single-flight point for manifests: concurrent requests for one
/// (upstream, repository, reference, accepted media types) share one upstream
/// request (HEAD or GET); everyone else waits for its answer, which is posted
/// to each waiter's own loop.
///
/// Thread-safe: the waiter lists are behind a pthread lock.
public final class ManifestFlightTable: Sendable {
    public typealias Completion = @Sendable (Result<ManifestAnswer, UpstreamFailure>) -> Void

    private struct Waiter {
        let loop: EventLoop
        let completion: Completion
    }

    private let flights = Locked<[String: [Waiter]]>([:])

    public init() {}

    /// Adds a waiter for `key`. Returns true when no flight was running: the
    /// caller is then the leader and must run the fetch and call `complete`.
    public func join(_ key: String, loop: EventLoop, completion: @escaping Completion) -> Bool {
        flights.withLock { table in
            if table[key] != nil {
                table[key]!.append(Waiter(loop: loop, completion: completion))
                return false
            }
            table[key] = [Waiter(loop: loop, completion: completion)]
            return true
        }
    }

    /// Ends the flight for `key`, answering every waiter on its loop. The
    /// leader's own waiters beyond the first are told they joined.
    public func complete(_ key: String, with result: Result<ManifestAnswer, UpstreamFailure>) {
        let waiters = flights.withLock { table in table.removeValue(forKey: key) ?? [] }
        for (index, waiter) in waiters.enumerated() {
            var shared = result
            if index > 0, case .success(var value) = result, value.outcome == .miss {
                value.outcome = .joined
                shared = .success(value)
            }
            let answer = shared
            let completion = waiter.completion
            waiter.loop.execute { completion(answer) }
        }
    }

    /// Number of manifest flights in progress.
    public var count: Int { flights.withLock { $0.count } }
}
