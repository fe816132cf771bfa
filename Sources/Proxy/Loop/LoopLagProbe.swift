import CEpoll
import Glibc
import ProxySystem

/// Measures one event loop's lag: how long an event that is ready waits before the loop
/// handles it.
///
/// The probe is a periodic `timerfd` (every ``interval``, nanosecond precision, absolute
/// `CLOCK_MONOTONIC` expiries) registered with the loop like any socket. When it expires the
/// descriptor becomes readable and waits in line with every other ready descriptor: behind
/// the handlers of the same `epoll_wait` batch, and behind a handler that blocks the loop.
/// When its own handler finally runs, the lag is the time since the oldest expiry that had
/// not been handled yet (``LagSchedule``). So an idle loop reports the kernel's wake-up
/// latency (tens of microseconds, its timer slack), a loop that is busy or blocked for
/// 300 ms reports up to 300 ms: the delay any client's event saw at that moment.
///
/// Cheap by construction: one wake-up, one `read` and one clock read per interval and loop,
/// nothing per client event; the recorder is called once per handling and must not allocate.
/// Confinement: loop-confined.
public final class LoopLagProbe: EventHandler {
    /// Default time between two samples.
    public static let defaultInterval: Duration = .milliseconds(100)

    /// Unowned: the loop's handler table holds the probe once it is registered, and the probe
    /// lives exactly as long as that registration (or the loop).
    private unowned let loop: EventLoop
    private let record: (Int64) -> Void
    private let intervalNanoseconds: Int64
    private var fd: Int32 = -1
    private var registration: Registration?
    private var schedule: LagSchedule

    /// - Parameters:
    ///   - interval: time between samples (> 0).
    ///   - record: called on the loop with each sample's lag in nanoseconds.
    public init(loop: EventLoop, interval: Duration = LoopLagProbe.defaultInterval, record: @escaping (Int64) -> Void) {
        self.loop = loop
        self.record = record
        intervalNanoseconds = max(1, MonotonicClock.nanoseconds(interval))
        schedule = LagSchedule(firstDue: 0, interval: intervalNanoseconds)
    }

    deinit {
        if fd >= 0 { _ = cep_close(fd) }
    }

    /// Creates the timer, registers it with the loop and arms it. Call on the loop (or before
    /// its thread runs).
    /// - Throws: `SystemError` when the kernel refuses the timer or its registration.
    public func start() throws(SystemError) {
        fd = try SystemError.check(cep_timerfd_create(), "timerfd_create")
        registration = try loop.register(fd: fd, events: .readable, handler: self)
        let first = MonotonicClock.now() + intervalNanoseconds
        schedule = LagSchedule(firstDue: first, interval: intervalNanoseconds)
        _ = try SystemError.check(cep_timerfd_arm_periodic(fd, first, intervalNanoseconds), "timerfd_settime")
    }

    /// Stops the probe: deregisters and closes the timer (idempotent). Call on the loop.
    public func stop() {
        if let registration {
            loop.deregister(fd: fd, registration: registration)
            self.registration = nil
        }
        if fd >= 0 {
            _ = cep_close(fd)
            fd = -1
        }
    }

    public func handleEvents(_ events: EventLoop.Events) {
        var expirations: UInt64 = 0
        guard cep_timerfd_read(fd, &expirations) == 0, expirations > 0 else { return }
        record(schedule.handled(expirations: expirations, now: MonotonicClock.now()))
    }
}

/// The expiry times of a periodic timer and the lag of each handling: pure arithmetic,
/// tested without a loop.
///
/// Invariant: `nextDue` is the oldest expiry not yet handled (`firstDue + k * interval`).
public struct LagSchedule: Equatable, Sendable {
    /// The oldest expiry not handled yet (monotonic ns).
    public private(set) var nextDue: Int64
    /// Nanoseconds between expiries.
    public let interval: Int64

    public init(firstDue: Int64, interval: Int64) {
        nextDue = firstDue
        self.interval = interval
    }

    /// The timer reported `expirations` (>= 1) expiries since the last handling, handled at
    /// `now`: returns the lag of the oldest one (`now - nextDue`, at least 0) and moves
    /// ``nextDue`` past all of them.
    public mutating func handled(expirations: UInt64, now: Int64) -> Int64 {
        let lag = max(0, now - nextDue)
        nextDue += Int64(clamping: expirations) &* interval
        return lag
    }
}
