import CEpoll
import Glibc

/// One epoll instance plus a timerfd, for the harness's single-threaded loops (load
/// generator, origin, static server).
///
/// The timerfd gives wake-ups with microsecond precision: `epoll_wait`'s millisecond timeout
/// would add up to a millisecond of phantom latency to every open-loop request.
///
/// Confinement: one thread (the loop that owns it). Not Sendable.
public final class Poller {
    /// Token returned for the timerfd's readiness; never used for a descriptor.
    public static let timerToken = UInt64.max
    /// A deadline meaning "do not block".
    public static let immediately: Int64 = 0

    /// Readiness bits of the most recent `wait` (index-aligned with `readyTokens`).
    public private(set) var readyBits: [UInt32]
    /// Tokens (`epoll_data`) of the most recent `wait`.
    public private(set) var readyTokens: [UInt64]

    private let epollFD: Int32
    private let timerFD: Int32
    private var armedDeadlineNs: Int64 = .max

    /// Creates the epoll instance and its timerfd.
    /// - Parameter capacity: most events returned by one `wait`.
    public init(capacity: Int = 512) {
        epollFD = cep_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: \(-epollFD)")
        // TFD_NONBLOCK | TFD_CLOEXEC (the glibc enum is not imported as integers).
        timerFD = linux_timerfd_create(Int32(CLOCK_MONOTONIC), 0o4000 | 0o2000000)
        precondition(timerFD >= 0, "timerfd_create failed")
        readyBits = [UInt32](repeating: 0, count: capacity)
        readyTokens = [UInt64](repeating: 0, count: capacity)
        _ = cep_epoll_ctl(epollFD, 0, timerFD, CEP_EPOLLIN, Poller.timerToken)
    }

    deinit {
        _ = cep_close(timerFD)
        _ = cep_close(epollFD)
    }

    /// Watches `fd` for `events` (CEP_EPOLL* bits); `token` comes back with each event.
    /// - Returns: 0 or -errno.
    @discardableResult
    public func add(fd: Int32, events: UInt32, token: UInt64) -> Int32 {
        cep_epoll_ctl(epollFD, 0, fd, events, token)
    }

    /// Changes the events watched on `fd`.
    public func modify(fd: Int32, events: UInt32, token: UInt64) {
        _ = cep_epoll_ctl(epollFD, 1, fd, events, token)
    }

    /// Stops watching `fd` (before closing it).
    public func remove(fd: Int32) {
        _ = cep_epoll_ctl(epollFD, 2, fd, 0, 0)
    }

    /// Waits for readiness until `deadlineNs` (monotonic ns; `.max` = up to 100 ms, so that
    /// stop flags are noticed). Returns the number of events in `readyBits`/`readyTokens`;
    /// a timer expiry shows up as `timerToken`.
    /// `deadlineNs` 0 (`Poller.immediately`) polls without blocking.
    public func wait(untilNs deadlineNs: Int64) -> Int {
        if deadlineNs != armedDeadlineNs, deadlineNs != Poller.immediately {
            arm(deadlineNs)
        }
        let timeoutMs: Int32 = deadlineNs == Poller.immediately ? 0 : (deadlineNs == .max ? 100 : 1000)
        let count = readyBits.withUnsafeMutableBufferPointer { bits in
            readyTokens.withUnsafeMutableBufferPointer { tokens in
                cep_epoll_wait(epollFD, bits.baseAddress, tokens.baseAddress, Int32(bits.count), timeoutMs)
            }
        }
        guard count > 0 else { return 0 }
        for i in 0..<Int(count) where readyTokens[i] == Poller.timerToken {
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, 8)
            armedDeadlineNs = .max
        }
        return Int(count)
    }

    private func arm(_ deadlineNs: Int64) {
        armedDeadlineNs = deadlineNs
        var spec = itimerspec()
        if deadlineNs != .max {
            let at = max(deadlineNs, 1)
            spec.it_value = timespec(tv_sec: Int(at / 1_000_000_000), tv_nsec: Int(at % 1_000_000_000))
        }
        // TFD_TIMER_ABSTIME: the deadline is on CLOCK_MONOTONIC, like cep_monotonic_ns.
        _ = linux_timerfd_settime(timerFD, 1, &spec, nil)
    }
}
