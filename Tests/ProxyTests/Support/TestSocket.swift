#if canImport(Glibc)
import Glibc
#endif

/// Why a test socket operation failed.
enum TestSocketError: Error, Equatable, Sendable {
    /// A system call failed; `errno` as the call left it.
    case system(call: String, errno: Int32)
    /// The peer answered with a TCP RST (ECONNRESET / EPIPE on write).
    case reset
    /// The deadline passed first.
    case timedOut
}

/// What one bounded `receive` produced.
enum TestSocketReceive: Equatable, Sendable {
    /// At least one byte.
    case bytes([UInt8])
    /// The peer closed its side cleanly (FIN; `recv` returned 0).
    case endOfStream
    /// The peer reset the connection (ECONNRESET).
    case reset
    /// No byte arrived before the deadline.
    case timedOut
    /// Another error; `errno`.
    case failed(Int32)
}

/// A blocking TCP socket on 127.0.0.1 (test support): a plain descriptor with the few calls
/// the fake upstream and the test client need. No ownership: whoever created it calls
/// `close()` exactly once.
struct TestSocket: Sendable {
    /// The file descriptor.
    let descriptor: Int32

    /// Opens a listening socket bound to 127.0.0.1 on a free port (bound to port 0; the
    /// kernel picks). Returns the socket and the port it got. Throws `.system`.
    static func listenOnLoopback(backlog: Int32 = 128) throws -> (socket: TestSocket, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError.system(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let error = TestSocketError.system(call: "bind/listen", errno: errno)
            Glibc.close(fd)
            throw error
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (TestSocket(descriptor: fd), UInt16(bigEndian: address.sin_port))
    }

    /// Connects to 127.0.0.1:`port` (blocking; loopback connects or refuses at once).
    /// `receiveBufferByteCount` sets SO_RCVBUF before connecting, so a slow reader exerts
    /// back-pressure early (the kernel doubles the value and applies a floor).
    /// Throws `.system(call: "connect", errno: ECONNREFUSED)` when nothing listens.
    static func connectToLoopback(port: UInt16, receiveBufferByteCount: Int? = nil) throws -> TestSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError.system(call: "socket", errno: errno) }
        if let receiveBufferByteCount {
            var size = Int32(receiveBufferByteCount)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let error = TestSocketError.system(call: "connect", errno: errno)
            Glibc.close(fd)
            throw error
        }
        let socket = TestSocket(descriptor: fd)
        socket.setNoDelay()
        return socket
    }

    /// Waits up to `timeout` for a connection and accepts it; nil when none arrived.
    /// Throws `.system` when the listener is shut down or broken.
    func accept(timeout: Duration) throws -> TestSocket? {
        switch waitReadable(timeout: timeout) {
        case .timedOut: return nil
        case .failed(let code): throw TestSocketError.system(call: "poll", errno: code)
        case .ready: break
        }
        // Plain accept (Glibc does not export accept4 to Swift), then close-on-exec.
        let fd = Glibc.accept(descriptor, nil, nil)
        guard fd >= 0 else {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED { return nil }
            throw TestSocketError.system(call: "accept", errno: errno)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let socket = TestSocket(descriptor: fd)
        socket.setNoDelay()
        return socket
    }

    /// Writes every byte (looping over partial writes; MSG_NOSIGNAL so a closed peer gives
    /// an error, not SIGPIPE). Throws `.reset` when the peer is gone, `.timedOut` when
    /// SO_SNDTIMEO expired, `.system` otherwise.
    func sendAll(_ bytes: ArraySlice<UInt8>) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let sent = bytes[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw TestSocketError.reset }
                if errno == EAGAIN { throw TestSocketError.timedOut }
                throw TestSocketError.system(call: "send", errno: errno)
            }
            offset += sent
        }
    }

    /// Writes every byte of `bytes`; see `sendAll(_: ArraySlice<UInt8>)`.
    func sendAll(_ bytes: [UInt8]) throws {
        try sendAll(bytes[...])
    }

    /// Receives up to `maxByteCount` bytes, waiting at most `timeout` for the first one.
    func receive(maxByteCount: Int, timeout: Duration) -> TestSocketReceive {
        switch waitReadable(timeout: timeout) {
        case .timedOut: return .timedOut
        case .failed(let code): return .failed(code)
        case .ready: break
        }
        var buffer = [UInt8](repeating: 0, count: max(1, maxByteCount))
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(buffer[0..<count])) }
            if count == 0 { return .endOfStream }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return .reset }
            if errno == EAGAIN { return .timedOut }
            return .failed(errno)
        }
    }

    /// Bounds every blocking `send` on this socket (SO_SNDTIMEO).
    func setSendTimeout(_ timeout: Duration) {
        let milliseconds = TestTime.milliseconds(timeout)
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Makes the next `close()` send a TCP RST instead of a FIN (SO_LINGER with a zero
    /// timeout; unsent data is discarded).
    func setLingerZero() {
        var value = linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &value, socklen_t(MemoryLayout<linger>.size))
    }

    /// Shuts down both directions: wakes any thread blocked in `recv`, `send` or `accept`
    /// on this descriptor without freeing the descriptor number.
    func shutdownBoth() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Shuts down the sending side only (a FIN; reading stays possible).
    func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the descriptor. Call once.
    func close() {
        _ = Glibc.close(descriptor)
    }

    private func setNoDelay() {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private enum Readiness { case ready, timedOut, failed(Int32) }

    /// Waits until the descriptor is readable (data, FIN, RST, or a pending connection).
    private func waitReadable(timeout: Duration) -> Readiness {
        let deadline = ContinuousClock.now + timeout
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let remaining = TestTime.milliseconds(deadline - ContinuousClock.now)
            let rc = poll(&entry, 1, Int32(clamping: max(0, remaining)))
            if rc > 0 { return .ready }
            if rc == 0 { return .timedOut }
            if errno != EINTR { return .failed(errno) }
        }
    }

    private static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return address
    }
}
