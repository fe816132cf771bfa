/// Failed credential checks counted per client address (issue 17 item 2): once an address
/// made `maximumFailures` within one window, it is refused (429 TOOMANYREQUESTS with
/// Retry-After) until the window that began with its first failure ends. Successes do not
/// reset the count: a guesser that also holds one valid credential gains nothing.
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

    /// A limiter remembering no address yet.
    package init(maximumFailures: Int, windowNanoseconds: Int64, maximumAddresses: Int = 10_000) {
        self.maximumFailures = maximumFailures
        self.windowNanoseconds = windowNanoseconds
        self.maximumAddresses = maximumAddresses
    }

    /// Nanoseconds until `address` may try again; nil when it may now.
    package func retryAfter(_ address: String, now: Int64) -> Int64? {
        guard let window = windows[address], window.failures >= maximumFailures else { return nil }
        let end = window.start + windowNanoseconds
        return now < end ? end - now : nil
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
