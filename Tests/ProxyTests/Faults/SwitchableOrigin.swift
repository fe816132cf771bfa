#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port whose behaviour a test switches while Cistern points at it: first
/// nothing listens (connections are refused), or every connection is reset as soon as its
/// request head arrived (a reset before any response byte); then, to show that Cistern
/// recovers, connections are relayed byte for byte to a `FakeUpstream`.
///
/// `FakeUpstream` cannot do either fault itself: it always listens, and it sends the head
/// before any cut. Thread per connection, blocking sockets, every wait bounded; `stop()`
/// joins every thread it started.
final class SwitchableOrigin: Sendable {
    /// What a connection to the port meets.
    enum Mode: Sendable, Equatable {
        /// Nothing listens: connect fails with ECONNREFUSED.
        case refusing
        /// Accepts, reads the request head, then closes with a TCP RST (nothing sent).
        case resettingAfterRequestHead
        /// Relays every byte both ways to 127.0.0.1:`port` (a FakeUpstream).
        case relaying(toPort: UInt16)
        /// Relays to 127.0.0.1:`port`, but inverts the upstream's byte at `byteOffset`
        /// (counted from the first byte the upstream sent on that connection): inside a TLS
        /// stream, a record that fails its integrity check mid-response.
        case relayingCorrupted(toPort: UInt16, byteOffset: Int)
        /// Relays to 127.0.0.1:`port`, holding the upstream's bytes beyond `byteCount` until
        /// `releaseHeldBytes()`; `heldConnectionCount` tells when a connection got there. The
        /// rest then trickles (16 KiB, a 2 ms pause, 16 KiB, …) so the client's reads catch up
        /// with the stream, and would block, many times before it ends.
        case relayingHeld(toPort: UInt16, afterByteCount: Int)
    }

    /// The port on 127.0.0.1 (chosen free at init; bound only while not `.refusing`).
    let port: UInt16
    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    private struct State: Sendable {
        var mode = Mode.refusing
        var listener: TestSocket?
        var threads: [TestThread] = []
        var isStopping = false
        var heldConnectionCount = 0
        var isReleased = false
    }

    private let state = Locked(State())

    /// Picks a free port and starts refusing.
    /// - Throws: `FreePort.Failure` when no port can be found.
    init() throws {
        port = try FreePort.loopback()
    }

    /// Switches to `mode` for connections accepted from now on.
    /// - Throws: `TestSocketError.system` when the port cannot be bound (taken meanwhile).
    func set(_ mode: Mode) throws {
        let needsListener = mode != .refusing
        let (stale, start) = try state.withLock { state -> (TestSocket?, Bool) in
            state.mode = mode
            if needsListener, state.listener == nil {
                state.listener = try Self.bind(port: port)
                return (nil, true)
            }
            if !needsListener, let listener = state.listener {
                state.listener = nil
                return (listener, false)
            }
            return (nil, false)
        }
        stale?.shutdownBoth()  // the accept loop sees the shutdown, closes it, and ends
        if start {
            let thread = TestThread.start { [self] in acceptConnections() }
            state.withLock { $0.threads.append(thread) }
        }
    }

    /// Stops listening, ends every connection and joins every thread. Idempotent.
    func stop() {
        let listener = state.withLock { state -> TestSocket? in
            state.isStopping = true
            defer { state.listener = nil }
            return state.listener
        }
        listener?.shutdownBoth()
        // Connection threads started by the accept loops are appended while they run.
        while let thread = state.withLock({ $0.threads.popLast() }) { thread.join() }
    }

    private var isStopping: Bool { state.withLock { $0.isStopping } }

    /// Connections of `.relayingHeld` that reached their byte count and are holding.
    var heldConnectionCount: Int { state.withLock { $0.heldConnectionCount } }

    /// Lets every `.relayingHeld` connection pass the rest of the upstream's bytes.
    func releaseHeldBytes() {
        state.withLock { $0.isReleased = true }
    }

    private func acceptConnections() {
        guard let listener = state.withLock({ $0.listener }) else { return }
        defer { listener.close() }
        while !isStopping {
            let accepted: TestSocket?
            do {
                accepted = try listener.accept(timeout: .milliseconds(50))
            } catch {
                return  // shut down by set(.refusing) or stop()
            }
            // A listener replaced by set(.refusing) must not serve anyone.
            guard let connection = accepted else {
                if state.withLock({ $0.listener?.descriptor != listener.descriptor }) { return }
                continue
            }
            let mode = state.withLock { $0.mode }
            let thread = TestThread.start { [self] in serve(connection, mode: mode) }
            state.withLock { $0.threads.append(thread) }
        }
    }

    private func serve(_ connection: TestSocket, mode: Mode) {
        switch mode {
        case .refusing:
            connection.close()
        case .resettingAfterRequestHead:
            var received: [UInt8] = []
            let deadline = ContinuousClock.now + .seconds(5)
            while !received.contains(subsequence: [13, 10, 13, 10]), ContinuousClock.now < deadline, !isStopping {
                guard case .bytes(let bytes) = connection.receive(maxByteCount: 4096, timeout: .milliseconds(100)) else { continue }
                received += bytes
            }
            connection.setLingerZero()
            connection.close()
        case .relaying(let targetPort), .relayingCorrupted(let targetPort, _), .relayingHeld(let targetPort, _):
            guard let upstream = try? TestSocket.connectToLoopback(port: targetPort) else {
                connection.setLingerZero()
                connection.close()
                return
            }
            switch mode {
            case .relayingCorrupted(_, let offset): relay(connection, upstream, corruptingUpstreamByteAt: offset)
            case .relayingHeld(_, let count): relay(connection, upstream, holdingUpstreamBytesAfter: count)
            default: relay(connection, upstream)
            }
            connection.close()
            upstream.close()
        }
    }

    /// Copies bytes both ways until both sides have closed (or one resets, or stop()).
    /// `first` is the client's side, `second` the upstream's. The upstream's byte at
    /// `corruptingUpstreamByteAt` is inverted; upstream bytes beyond `holdingUpstreamBytesAfter`
    /// wait for `releaseHeldBytes()`.
    private func relay(_ first: TestSocket, _ second: TestSocket,
                       corruptingUpstreamByteAt corruptedOffset: Int? = nil,
                       holdingUpstreamBytesAfter holdLimit: Int? = nil) {
        var entries = [pollfd(fd: first.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: second.descriptor, events: Int16(POLLIN), revents: 0)]
        let sockets = [first, second]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var upstreamOffset = 0
        var held: [UInt8] = []
        var isHolding = false
        var isTrickling = false
        while !isStopping, entries.contains(where: { $0.fd >= 0 }) {
            if isHolding, state.withLock({ $0.isReleased }) {
                isHolding = false
                isTrickling = true
                if (try? first.sendAll(held)) == nil { return }
                held = []
                entries[1].events = Int16(POLLIN)
            }
            let ready = poll(&entries, 2, isHolding ? 10 : 100)
            if ready <= 0 { continue }
            for index in 0..<2 where entries[index].fd >= 0 && entries[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { recv(entries[index].fd, $0.baseAddress, $0.count, 0) }
                let other = sockets[1 - index]
                if count > 0 {
                    var bytes = buffer[0..<count]
                    if index == 1 {
                        if let corruptedOffset, (upstreamOffset..<upstreamOffset + count).contains(corruptedOffset) {
                            bytes[corruptedOffset - upstreamOffset] ^= 0xFF
                        }
                        upstreamOffset += count
                        if let holdLimit, upstreamOffset > holdLimit, !state.withLock({ $0.isReleased }) {
                            let passed = max(0, count - (upstreamOffset - holdLimit))
                            held += bytes[passed...]
                            bytes = bytes[..<passed]
                            if !isHolding {
                                isHolding = true
                                entries[1].events = 0  // read no more until released
                                state.withLock { $0.heldConnectionCount += 1 }
                            }
                        }
                    }
                    if index == 1, isTrickling {
                        var start = bytes.startIndex
                        while start < bytes.endIndex {
                            let end = min(start + 16_384, bytes.endIndex)
                            if (try? other.sendAll(bytes[start..<end])) == nil { return }
                            start = end
                            usleep(2_000)
                        }
                        continue
                    }
                    if (try? other.sendAll(bytes)) == nil { return }
                } else if count == 0 {
                    other.shutdownWrite()
                    entries[index].fd = -1
                } else if errno != EINTR && errno != EAGAIN {
                    other.setLingerZero()  // pass a reset on as a reset
                    return
                }
            }
        }
    }

    /// A listening socket on 127.0.0.1:`port` (SO_REUSEADDR, so a port just closed rebinds).
    private static func bind(port: UInt16) throws -> TestSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError.system(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let error = TestSocketError.system(call: "bind/listen", errno: errno)
            Glibc.close(fd)
            throw error
        }
        return TestSocket(descriptor: fd)
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array (a plain scan; heads are small).
    fileprivate func contains(subsequence needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
