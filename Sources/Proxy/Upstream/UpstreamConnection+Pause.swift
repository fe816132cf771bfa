import ProxyLoop
import ProxySystem

/// Back-pressure on a response body: the reader stops taking bytes from the socket (TCP
/// flow control then holds the upstream) until resumed. A fill pauses while the cache makes
/// room for the blob, so no byte reaches the disk before the space it takes was freed.
///
/// While paused the read interest is dropped (the socket is level-triggered: a readable
/// socket left in the set would wake the loop at every turn), bytes already read stay in the
/// buffer undelivered, and the stall and rate timeouts do not run: the wait is ours, not
/// the upstream's. An error or hang-up reported meanwhile ends the exchange as usual.
extension UpstreamConnection {
    /// Stops delivering body bytes (no-op unless a body is being read).
    func pauseBody() {
        guard state == .readingBody, !bodyPaused else { return }
        bodyPaused = true
        setInterest([])
    }

    /// Delivers what is buffered and reads on; the stall and rate clocks restart now.
    func resumeBody() {
        guard bodyPaused else { return }
        bodyPaused = false
        guard state == .readingBody else { return }
        setInterest(tlsReadWantsWrite ? [.readable, .writable] : [.readable])
        touch()
        rateWindowStart = MonotonicClock.now()
        rateWindowBytes = 0
        // Bytes read before the pause, and (TLS) records decrypted but not yet read, are not
        // signalled by epoll again: deliver and read at the end of this turn.
        loop.deferToEndOfTurn { [weak self] in
            guard let self, !self.bodyPaused, self.state == .readingBody else { return }
            if self.buffered > 0 { self.deliverBody() }
            if self.state == .readingBody { self.readAvailable() }
        }
    }
}
