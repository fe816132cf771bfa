import CEpoll
import Glibc
import ProxyLoop
import ProxySystem

/// The connect, read-stall and minimum-rate timeouts of one exchange.
extension UpstreamConnection: TimerTarget {
    // MARK: Timeouts

    /// Records progress: the read-stall deadline moves forward.
    func touch() {
        setDeadline(MonotonicClock.now() + pool.timeouts.readStall)
    }

    func setDeadline(_ value: Int64) {
        deadline = value
        if armedDeadline == 0 || value < armedDeadline {
            armedDeadline = value
            loop.arm(self, at: value)
        }
    }

    func timerFired(now: Int64) {
        armedDeadline = 0
        switch state {
        case .closed, .fresh:
            return
        case .idle:
            if now >= deadline {
                closeForGood()
                return
            }
        case .readingBody where bodyPaused:
            // Our wait, not the upstream's stall: the clocks restart at `resumeBody`.
            deadline = now + pool.timeouts.readStall
        case .readingBody:
            if now >= deadline {
                fail(.timedOut("reading the body from \(origin) (no bytes for \(pool.timeouts.readStall / 1_000_000) ms)"))
                return
            }
            if pool.timeouts.minimumRate > 0, now - rateWindowStart >= pool.timeouts.rateWindow {
                let needed = pool.timeouts.minimumRate * (now - rateWindowStart) / 1_000_000_000
                if rateWindowBytes < needed {
                    fail(.timedOut("transfer from \(origin) slower than \(pool.timeouts.minimumRate) bytes/s"))
                    return
                }
                rateWindowStart = now
                rateWindowBytes = 0
            }
        case .resolving, .connecting, .tunnelling, .handshaking:
            if now >= deadline {
                fail(.timedOut("connecting to \(origin)"))
                return
            }
        case .sending, .awaitingHead:
            if now >= deadline {
                // Never retried: the upstream accepted the request and went quiet, and a second
                // connection would only wait a second read timeout.
                fail(.timedOut("waiting for \(origin) to answer"))
                return
            }
        }
        var next = deadline
        if state == .readingBody, pool.timeouts.minimumRate > 0 {
            next = min(next, rateWindowStart + pool.timeouts.rateWindow)
        }
        armedDeadline = next
        loop.arm(self, at: next)
    }
}
