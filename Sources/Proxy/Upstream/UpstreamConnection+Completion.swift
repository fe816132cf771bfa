import CEpoll
import Glibc
import ProxySystem

/// Ending an exchange: back to the pool when the framing ended cleanly, one retry of a
/// stale pooled connection, or a failure reported to the handler.
extension UpstreamConnection {
    // MARK: Completion

    func finish() {
        let handler = self.handler
        self.handler = nil
        request = nil
        if reusable && state != .closed {
            state = .idle
            buffered = 0
            setInterest([.readable, .readHangup])
            setDeadline(MonotonicClock.now() + pool.timeouts.idle)
            pool.release(self)
        } else {
            closeForGood()
        }
        handler?.upstreamFinished()
    }

    /// Abandons the exchange without reporting (the handler lost interest).
    func cancel() {
        handler = nil
        request = nil
        closeForGood()
    }

    /// Fails with `error`, or, when the peer closed or reset a pooled connection before any
    /// response byte (EOF, ECONNRESET, EPIPE on its first use here), retries once on a fresh
    /// socket. Only for those causes: after a timeout a retry would double the wait.
    func retryIfStaleOrFail(_ error: UpstreamError) {
        if reused && !receivedAnything, let request, let handler {
            // A stale pooled connection (the origin closed it as we reused
            // it): retry once on a fresh socket. The same object reconnects,
            // so whoever holds it (and may cancel it) keeps the right one.
            closeSocket()
            state = .fresh
            start(request, handler: handler)
            return
        }
        fail(error)
    }

    func fail(_ error: UpstreamError) {
        let handler = self.handler
        self.handler = nil
        request = nil
        closeForGood()
        handler?.upstreamFailed(error)
    }

    /// Closes the connection for good and leaves the pool. Every final close goes through
    /// here: a closed connection left in the pool's table of active connections would keep
    /// its 256 KiB buffer for the process's life. (`closeSocket` alone is for a reconnect.)
    func closeForGood() {
        closeSocket()
        state = .closed
        pool.remove(self)
    }

    func closeSocket() {
        if let registration {
            loop.deregister(fd: fd, registration: registration)
            self.registration = nil
        }
        if let tls {
            cep_tls_free(tls)
            self.tls = nil
            tlsReadWantsWrite = false
        }
        if fd >= 0 {
            _ = cep_close(fd)
            fd = -1
        }
    }
}
