import ProxySystem

/// One upstream's rate-limit state, shared by every loop: the 429 memory
/// (``RateLimitMemory``), the optional manifest GET budget (``ManifestGetBudget``) and the
/// `RateLimit-Limit` / `RateLimit-Remaining` values it last sent (Docker Hub sends
/// `ratelimit-limit: 100;w=21600`; the IETF draft `RateLimit` fields use the same numbers).
///
/// ``UpstreamExchange`` asks ``admission(isManifestGet:repository:now:)`` before sending and
/// reports each answer to ``observe(status:retryAfter:limit:remaining:repository:now:)``.
///
/// Thread-safe: a pthread lock around in-memory state; nothing is called under it.
public final class UpstreamRateLimiter: Sendable {
    /// Why a request was not sent.
    public enum Refusal: Sendable, Equatable {
        /// The upstream said 429 and the wait it asked for (or the backoff) is not over.
        case rateLimited(retryAfter: Int64)
        /// `--upstream-max-manifest-gets-per-hour` is spent.
        case budgetSpent(retryAfter: Int64)

        /// Nanoseconds until a request may go.
        public var retryAfter: Int64 {
            switch self {
            case .rateLimited(let wait), .budgetSpent(let wait): return wait
            }
        }
    }

    /// A manifest request by method and by what it names, as the budget metrics count them.
    public enum ManifestRequestKind: Int, Sendable, CaseIterable {
        case tagGet, tagHead, digestGet, digestHead

        /// The kind of `method` to `pathAndQuery`, nil for anything but a manifest GET or HEAD.
        public init?(method: String, pathAndQuery: String) {
            guard method == "GET" || method == "HEAD", let range = pathAndQuery.firstRange(of: "/manifests/") else { return nil }
            let byDigest = pathAndQuery[range.upperBound...].contains(":")
            switch (method == "GET", byDigest) {
            case (true, false): self = .tagGet
            case (false, false): self = .tagHead
            case (true, true): self = .digestGet
            case (false, true): self = .digestHead
            }
        }

        public var isGet: Bool { self == .tagGet || self == .digestGet }
    }

    /// What the metrics read: totals since start and the current state.
    public struct Reading: Sendable, Equatable {
        public var limit: Int?
        public var remaining: Int?
        /// Nanoseconds until any closed scope opens again (0 when none is closed).
        public var retryAfter: Int64
        /// Manifest requests sent, by ``ManifestRequestKind`` raw value.
        public var sentManifestRequests: [Int]
        /// Requests answered 429 without asking: for a remembered 429, for the budget.
        public var refusedRateLimited: Int
        public var refusedBudget: Int
    }

    private struct State {
        var memory = RateLimitMemory()
        var budget: ManifestGetBudget?
        var limit: Int?
        var remaining: Int?
        var sent = [Int](repeating: 0, count: ManifestRequestKind.allCases.count)
        var refusedRateLimited = 0
        var refusedBudget = 0
    }

    /// Whether 429s close one repository (`rate_limit_scope: repository`) or the whole upstream.
    public let perRepository: Bool
    private let state: Locked<State>

    /// - Parameters:
    ///   - manifestGetsPerHour: the budget; nil = none.
    ///   - perRepository: remember 429s per repository instead of for the whole upstream.
    public init(manifestGetsPerHour: Int? = nil, perRepository: Bool = false) {
        self.perRepository = perRepository
        var initial = State()
        initial.budget = manifestGetsPerHour.map { ManifestGetBudget(limit: $0) }
        state = Locked(initial)
    }

    private func scope(_ repository: String?) -> String {
        perRepository ? repository ?? "" : ""
    }

    /// Whether a request may be sent now; a manifest GET that may go is counted in the budget.
    /// - Parameter manifest: what the request is when it is a manifest GET or HEAD.
    public func admission(manifest: ManifestRequestKind?, repository: String?, now: Int64) -> Refusal? {
        let scope = scope(repository)
        return state.withLock { state in
            if let wait = state.memory.remaining(scope: scope, now: now) {
                state.refusedRateLimited += 1
                return .rateLimited(retryAfter: wait)
            }
            if let manifest, manifest.isGet, var budget = state.budget {
                defer { state.budget = budget }
                if let wait = budget.take(now: now) {
                    state.refusedBudget += 1
                    return .budgetSpent(retryAfter: wait)
                }
            }
            if let manifest { state.sent[manifest.rawValue] += 1 }
            return nil
        }
    }

    /// An answer from the upstream: a 429 closes the scope; any other status below 500 opens
    /// the backoff again. `retryAfter` in nanoseconds; `limit`/`remaining` as sent, if sent.
    public func observe(status: Int, retryAfter: Int64?, limit: Int?, remaining: Int?, repository: String?, now: Int64) {
        let scope = scope(repository)
        state.withLock { state in
            if status == 429 {
                state.memory.rejected(scope: scope, retryAfter: retryAfter, now: now)
            } else if status < 500 {
                state.memory.succeeded(scope: scope)
            }
            if let limit { state.limit = limit }
            if let remaining { state.remaining = remaining }
        }
    }

    /// The values the metrics show at `now`.
    public func reading(now: Int64) -> Reading {
        state.withLock { state in
            Reading(limit: state.limit, remaining: state.remaining, retryAfter: state.memory.longestRemaining(now: now) ?? 0,
                    sentManifestRequests: state.sent, refusedRateLimited: state.refusedRateLimited, refusedBudget: state.refusedBudget)
        }
    }
}
