import ProxyLoop
import ProxyMetrics
import ProxyRegistry
import ProxySystem
import ProxyUpstream

/// A single-flight table for small upstream requests (manifests, HEADs):
/// concurrent requests with the same key share one upstream request; the
/// first is the leader and runs it, everyone waits for its answer, which is
/// posted to each waiter's own loop.
///
/// Thread-safe: the waiter lists are behind a pthread lock.
public final class FlightTable<Answer: Sendable>: Sendable {
    public typealias Completion = @Sendable (Answer) -> Void

    private struct Waiter {
        let loop: EventLoop
        let completion: Completion
    }

    private let flights = Locked<[String: [Waiter]]>([:])

    public init() {}

    /// Adds a waiter for `key`. Returns true when no flight was running: the
    /// caller is then the leader and must run the request and call `complete`.
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

    /// Ends the flight for `key`, answering every waiter on its loop; waiters
    /// after the leader get `followerAnswer(answer)` (e.g. marked "joined").
    public func complete(_ key: String, with answer: Answer, followerAnswer: (Answer) -> Answer = { $0 }) {
        let waiters = flights.withLock { table in table.removeValue(forKey: key) ?? [] }
        let followers = waiters.count > 1 ? followerAnswer(answer) : answer
        for (index, waiter) in waiters.enumerated() {
            let value = index == 0 ? answer : followers
            let completion = waiter.completion
            waiter.loop.execute { completion(value) }
        }
    }

    /// Number of flights in progress.
    public var count: Int { flights.withLock { $0.count } }
}

/// A manifest answer: the stored manifest and how it was obtained.
public struct ManifestAnswer: Sendable {
    public var manifest: StoredManifest
    public var outcome: CacheOutcome
    /// When the tag was last confirmed (ns since the epoch), for Cache-Control.
    public var confirmedAtNanoseconds: Int64?
    /// The upstream's `RateLimit-*` fields (lower-case names) from the answer this came from,
    /// passed on to the client (empty for answers from the cache alone).
    public var rateLimitFields: [(name: String, value: String)] = []

    public init(manifest: StoredManifest, outcome: CacheOutcome, confirmedAtNanoseconds: Int64?) {
        self.manifest = manifest
        self.outcome = outcome
        self.confirmedAtNanoseconds = confirmedAtNanoseconds
    }
}

extension FlightTable where Answer == Result<ManifestAnswer, UpstreamFailure> {
    /// Followers of a flight that went to the upstream count as "joined".
    package static func joined(_ answer: Answer) -> Answer {
        guard case .success(var value) = answer, value.outcome == .miss else { return answer }
        value.outcome = .joined
        return .success(value)
    }
}
