import Foundation

/// Whether wall-clock bounds are asserted in this run.
///
/// Sanitizer builds (the CI sets `CISTERN_SANITIZER`) run many times slower, so tests keep
/// their functional assertions (bytes, digests, counts, files) there but skip the "within N
/// seconds" ones. Bounds elsewhere are generous: 2 cores, debug build, other tests beside.
enum TimingAssertions {
    /// False when the environment variable `CISTERN_SANITIZER` is set (to anything).
    static var areEnabled: Bool {
        ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil
    }
}
