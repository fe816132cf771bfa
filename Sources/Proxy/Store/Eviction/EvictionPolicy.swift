import ProxyRegistry
/// Which cached entries to remove, decided from their last access times and sizes alone:
/// the pure part of eviction (no files, no clock — `now` is passed in), tested by tables.
///
/// Rules, in order:
/// 1. age: with a maximum age, every `.cached` entry last read before `now - maximumAge` goes;
/// 2. size: when usage (after rule 1) exceeds the limit, or a caller needs `extraByteCount`
///    more room than is left, `.cached` entries go least recently used first (ties: larger
///    first, then by digest, so plans are deterministic) until usage plus the extra room is at
///    or under the low watermark, or nothing evictable is left.
/// `.primary` entries are never chosen and their bytes are not in `usage` (the caller leaves
/// them out). Bytes held by readers of evicted files count in `usage` but cannot be freed here.
public struct EvictionPolicy: Sendable, Equatable {
    /// One entry as the policy sees it.
    public struct Candidate: Sendable, Equatable {
        public var digest: Digest
        /// Bytes freed by removing it.
        public var byteCount: Int64
        /// Wall-clock seconds since the Unix epoch of its last read (or its commit).
        public var lastAccessSeconds: Int64
        public var retention: Retention

        public init(digest: Digest, byteCount: Int64, lastAccessSeconds: Int64, retention: Retention = .cached) {
            self.digest = digest
            self.byteCount = byteCount
            self.lastAccessSeconds = lastAccessSeconds
            self.retention = retention
        }
    }

    /// What to remove and what it frees.
    public struct Plan: Sendable, Equatable {
        /// Entries to remove, in removal order (oldest first).
        public var victims: [Digest] = []
        /// Bytes the victims free.
        public var freedByteCount: Int64 = 0
        /// Of those, removed for their age.
        public var expiredCount = 0
        /// Whether usage plus the requested room fits under the limit after the plan.
        public var fits = true
    }

    public var limits: CacheLimits

    public init(limits: CacheLimits) {
        self.limits = limits
    }

    /// Whether eviction is due: usage over the limit, or any limit on age (checked by `plan`).
    public func isOverLimit(usage: Int64) -> Bool {
        guard let maximum = limits.maximumByteCount else { return false }
        return usage > maximum
    }

    /// The plan for `candidates` at `now`.
    /// - Parameters:
    ///   - usage: bytes counted against the limit now (entries, overhead, reservations, held).
    ///   - extraByteCount: room a new fill asks for on top of `usage` (bytes; 0 for a pass).
    ///   - nowSeconds: wall-clock seconds since the Unix epoch.
    public func plan(_ candidates: [Candidate], usage: Int64, extraByteCount: Int64 = 0, nowSeconds: Int64) -> Plan {
        var plan = Plan()
        var remaining: [Candidate] = []
        remaining.reserveCapacity(candidates.count)
        let expiry = limits.maximumAgeNanoseconds.map { nowSeconds - $0 / 1_000_000_000 }
        for candidate in candidates where candidate.retention == .cached {
            if let expiry, candidate.lastAccessSeconds < expiry {
                plan.victims.append(candidate.digest)
                plan.freedByteCount += candidate.byteCount
                plan.expiredCount += 1
            } else {
                remaining.append(candidate)
            }
        }
        guard let maximum = limits.maximumByteCount, let low = limits.lowWatermarkByteCount else { return plan }
        let needed = usage - plan.freedByteCount + extraByteCount
        guard needed > maximum else { return plan }
        remaining.sort { a, b in
            if a.lastAccessSeconds != b.lastAccessSeconds { return a.lastAccessSeconds < b.lastAccessSeconds }
            if a.byteCount != b.byteCount { return a.byteCount > b.byteCount }
            return a.digest.string < b.digest.string
        }
        var current = needed
        for candidate in remaining where current > low {
            guard candidate.byteCount > 0 else { continue }
            plan.victims.append(candidate.digest)
            plan.freedByteCount += candidate.byteCount
            current -= candidate.byteCount
        }
        plan.fits = current <= maximum
        return plan
    }
}
