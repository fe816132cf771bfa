/// What an upstream said about its rate limit, remembered so that Cistern stops asking until
/// it may ask again (Docker Hub answers 429 once its pull budget is spent; asking on only
/// makes that worse and spends the next window too).
///
/// Per scope (the whole upstream, or one repository where the upstream limits per
/// repository: `rate_limit_scope`):
/// - a 429 with `Retry-After` (RFC 9110 section 10.2.3) closes the scope until then;
/// - a 429 without it closes the scope for a backoff that starts at 1 s and doubles up to
///   60 s with each further 429, and is reset by a success.
///
/// Pure: times are monotonic nanoseconds passed in; tested by tables.
public struct RateLimitMemory: Sendable, Equatable {
    /// The first backoff after a 429 without `Retry-After` (ns).
    public static let firstBackoff: Int64 = 1_000_000_000
    /// The longest backoff (ns).
    public static let longestBackoff: Int64 = 60_000_000_000

    private var closedUntil: [String: Int64] = [:]
    /// The backoff the next 429 without `Retry-After` gets, per scope.
    private var nextBackoff: [String: Int64] = [:]

    public init() {}

    /// A 429 for `scope` at `now`; `retryAfter` in nanoseconds when the upstream said.
    public mutating func rejected(scope: String, retryAfter: Int64?, now: Int64) {
        let wait: Int64
        if let retryAfter, retryAfter > 0 {
            wait = retryAfter
        } else {
            wait = nextBackoff[scope] ?? Self.firstBackoff
            nextBackoff[scope] = min(wait * 2, Self.longestBackoff)
        }
        closedUntil[scope] = max(closedUntil[scope] ?? 0, now + wait)
    }

    /// A successful answer for `scope`: the backoff starts again at 1 s.
    public mutating func succeeded(scope: String) {
        nextBackoff[scope] = nil
    }

    /// How long `scope` (or the whole upstream, scope "") stays closed after `now` (ns), nil
    /// when requests may go.
    public func remaining(scope: String, now: Int64) -> Int64? {
        let until = max(closedUntil[scope] ?? 0, scope.isEmpty ? 0 : closedUntil[""] ?? 0)
        return until > now ? until - now : nil
    }

    /// The longest wait of any scope (for the metric), nil when none is closed.
    public func longestRemaining(now: Int64) -> Int64? {
        let until = closedUntil.values.max() ?? 0
        return until > now ? until - now : nil
    }
}

/// `--upstream-max-manifest-gets-per-hour`: at most `limit` manifest GETs in any hour, the
/// requests Docker Hub counts as pulls (HEADs are free). A sliding window over the times of
/// the last `limit` GETs: one more may go once the oldest is an hour old.
///
/// Pure: times are monotonic nanoseconds passed in.
public struct ManifestGetBudget: Sendable, Equatable {
    public static let window: Int64 = 3_600_000_000_000

    public let limit: Int
    /// Times of the last GETs, oldest first (at most `limit`).
    private var times: [Int64] = []
    private var oldest = 0

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Takes one GET at `now`. - Returns: nil when it may go (and is counted), else how long
    /// (ns) until one may.
    public mutating func take(now: Int64) -> Int64? {
        if times.count < limit {
            times.append(now)
            return nil
        }
        let wait = times[oldest] + Self.window - now
        guard wait <= 0 else { return wait }
        times[oldest] = now
        oldest = (oldest + 1) % limit
        return nil
    }
}
