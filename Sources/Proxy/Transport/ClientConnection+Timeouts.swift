import ProxyLogging
import ProxyLoop

/// Timeouts (RFC 9112 section 9.8 leaves them to us): request head, idle keep-alive,
/// and a client that stopped reading. Waiting for a fill is not a stall.
extension ClientConnection: TimerTarget {
    /// Moves the connection's one deadline (0: none); the timer is re-armed only earlier.
    func setDeadline(_ value: Int64) {
        deadline = value
        guard value != 0 else { return }
        if armedDeadline == 0 || value < armedDeadline {
            armedDeadline = value
            loop.arm(self, at: value)
        }
    }

    func timerFired(now: Int64) {
        armedDeadline = 0
        guard state != .closed, deadline != 0 else { return }
        if now < deadline {
            armedDeadline = deadline
            loop.arm(self, at: deadline)
            return
        }
        switch state {
        case .readingHead:
            if buffer.isEmpty && !headInProgress {
                close()  // idle keep-alive connection
            } else {
                rejectHead(status: 408)
            }
        case .handshaking:
            close()  // connected and never finished a TLS handshake
        case .writing:
            context.logger.info("client stopped reading; closing", metadata: ["client": "\(peer)", "target": "\(LogRedaction.target(logTarget))"])
            closeWithReset()
        case .awaitingResponse:
            if case .reading = requestBody {
                context.logger.info("client stopped sending its request body; closing",
                                    metadata: ["client": "\(peer)", "target": "\(LogRedaction.target(logTarget))"])
                closeWithReset()
            }
        case .closed:
            break
        }
    }
}
