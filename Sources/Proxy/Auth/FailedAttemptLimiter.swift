/// Failed credential checks counted per client address (issue 17 item 2): once an address
/// made `maximumFailures` within one window, it is refused (429 TOOMANYREQUESTS with
/// Retry-After) until the window that began with its first failure ends. Successes do not
/// reset the count: a guesser that also holds one valid credential gains nothing.
///
/// Checks still running (bcrypt takes milliseconds) count too: each distinct credential an
/// address has in flight counts as a failure until its check ends, so a burst of guesses
/// sent at once cannot all pass the limit before the first of them is counted; one
/// credential sent many times at once (a client's parallel requests) counts once.
///
/// A pure value: time comes in as monotonic nanoseconds, so tests move it without sleeping.
/// At most `maximumAddresses` are remembered; past that, ended windows are dropped first,
/// then the oldest. Not thread-safe by itself (``CredentialVerifier`` holds it under a lock).
package struct FailedAttemptLimiter: Sendable {
    /// Failures within one window that close an address.
    package let maximumFailures: Int
    /// The window, from an address's first failure.
    package let windowNanoseconds: Int64
    /// Most addresses remembered at once.
    package let maximumAddresses: Int
    private var windows: [String: (start: Int64, failures: Int)] = [:]
    /// Checks in flight by address: how many of each credential (by fingerprint).
    private var inFlight: [String: [String: Int]] = [:]
    /// The wait announced when only checks in flight close an address: they end in
    /// milliseconds, and one of them may well be the right password.
    package static let inFlightRetryNanoseconds: Int64 = 1_000_000_000

    /// A limiter remembering no address yet.
    package init(maximumFailures: Int, windowNanoseconds: Int64, maximumAddresses: Int = 10_000) {
        self.maximumFailures = maximumFailures
        self.windowNanoseconds = windowNanoseconds
        self.maximumAddresses = maximumAddresses
    }

    /// Nanoseconds until `address` may try again; nil when it may now.
    package func retryAfter(_ address: String, now: Int64) -> Int64? {
        var failures = 0
        if let window = windows[address], now < window.start + windowNanoseconds {
            if window.failures >= maximumFailures { return window.start + windowNanoseconds - now }
            failures = window.failures
        }
        guard let checks = inFlight[address], failures + checks.count >= maximumFailures else { return nil }
        return Self.inFlightRetryNanoseconds
    }

    /// Admits a check of the credential with fingerprint `key` from `address`, and counts
    /// it in flight until ``endCheck(_:key:)``; or returns the wait (nanoseconds) when the
    /// address is closed. A credential already in flight for the address is always admitted:
    /// it adds nothing to the count.
    package mutating func beginCheck(_ address: String, key: String, now: Int64) -> Int64? {
        if inFlight[address]?[key] == nil, let wait = retryAfter(address, now: now) { return wait }
        inFlight[address, default: [:]][key, default: 0] += 1
        return nil
    }

    /// Ends one check begun with ``beginCheck(_:key:now:)``; `failed` counts it as a failure.
    package mutating func endCheck(_ address: String, key: String, failed: Bool, now: Int64) {
        if let count = inFlight[address]?[key] {
            inFlight[address]?[key] = count > 1 ? count - 1 : nil
            if inFlight[address]?.isEmpty == true { inFlight[address] = nil }
        }
        if failed { self.failed(address, now: now) }
    }

    /// Counts one failed attempt by `address`.
    package mutating func failed(_ address: String, now: Int64) {
        if let window = windows[address], now < window.start + windowNanoseconds {
            windows[address] = (window.start, window.failures + 1)
            return
        }
        if windows.count >= maximumAddresses { prune(now: now) }
        windows[address] = (now, 1)
    }

    /// Addresses currently remembered.
    package var addressCount: Int { windows.count }

    private mutating func prune(now: Int64) {
        windows = windows.filter { now < $0.value.start + windowNanoseconds }
        while windows.count >= maximumAddresses, let oldest = windows.min(by: { $0.value.start < $1.value.start }) {
            windows.removeValue(forKey: oldest.key)
        }
    }
}
