import CEpoll
import Glibc
import ProxyLoop

/// Bytes over TCP or TLS, and the interest the loop watches for them.
extension UpstreamConnection {
    // MARK: Transport

    func transportRead(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        if let tls {
            let n = cep_tls_read(tls, pointer, count)
            if n == CEP_TLS_WANT_WRITE {
                // OpenSSL must send (a key update, a renegotiation) before it can read on.
                tlsReadWantsWrite = true
                setInterest([.readable, .writable])
                return -Int(EAGAIN)
            }
            if tlsReadWantsWrite {
                // That write went out: level-triggered EPOLLOUT left on would wake the loop
                // at every turn until the body ends.
                tlsReadWantsWrite = false
                setInterest([.readable])
            }
            if n == CEP_TLS_WANT_READ { return -Int(EAGAIN) }
            return n < 0 ? -Int(EIO) : n
        }
        return cep_read(fd, pointer, count)
    }

    func transportWrite(_ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        if let tls {
            let n = cep_tls_write(tls, pointer, count)
            if n == CEP_TLS_WANT_WRITE || n == CEP_TLS_WANT_READ { return -Int(EAGAIN) }
            return n < 0 ? -Int(EIO) : n
        }
        return cep_write(fd, pointer, count)
    }

    func setInterest(_ events: EventLoop.Events) {
        guard let registration else { return }
        loop.modify(fd: fd, registration: registration, events: events)
    }
}
