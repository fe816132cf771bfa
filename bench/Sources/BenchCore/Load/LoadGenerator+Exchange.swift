import CEpoll
import Glibc

/// The per-connection I/O of the load generator: connect, send the request, read and frame
/// the response, record it, and move on to the next request.
extension LoadGenerator {
    func isMeasured(_ connection: LoadConnection) -> Bool {
        switch connection.role {
        case .follower: true
        case .leader: plan.leader == .normal
        case .background: false
        }
    }

    func handle(_ connection: LoadConnection, events: UInt32) {
        switch connection.phase {
        case .connecting:
            connected(connection, events: events)
        case .writing:
            if events & (CEP_EPOLLERR | CEP_EPOLLHUP) != 0 { exchangeFailed(connection); return }
            writeRequest(connection)
        case .readingHead, .readingBody:
            readResponse(connection)
        case .idle, .finished, .unstarted:
            // The server closed a connection we are not using: forget it; the next request
            // (if any) reconnects.
            if events & (CEP_EPOLLIN | CEP_EPOLLRDHUP | CEP_EPOLLHUP | CEP_EPOLLERR) != 0 {
                let n = cep_read(connection.fd, readBuffer.baseAddress, readBuffer.count)
                if n != -Int(EAGAIN) { closeSocket(connection) }
            }
        }
    }

    func connected(_ connection: LoadConnection, events: UInt32) {
        pendingConnects -= 1
        defer { pumpConnects() }
        if cep_socket_error(connection.fd) != 0 || events & (CEP_EPOLLERR | CEP_EPOLLHUP) != 0 {
            connection.phase = .writing  // no longer a pending connect
            exchangeFailed(connection)
            return
        }
        _ = cep_tcp_nodelay(connection.fd)
        if connection.request.isEmpty {
            connection.phase = .idle
            idle.append(connection.slot)
        } else {
            connection.phase = .writing
            writeRequest(connection)
        }
    }

    func writeRequest(_ connection: LoadConnection) {
        while connection.writeOffset < connection.request.count {
            let n = connection.request.withUnsafeBytes {
                cep_write(connection.fd, $0.baseAddress! + connection.writeOffset, $0.count - connection.writeOffset)
            }
            if n == -Int(EAGAIN) { return }
            if n <= 0 { exchangeFailed(connection); return }
            connection.writeOffset += n
        }
        connection.phase = .readingHead
        // Edge-triggered: a response that is already here would not be announced again.
        readResponse(connection)
    }

    func readResponse(_ connection: LoadConnection) {
        // A fast server keeps a socket readable forever; without a budget one connection
        // would starve every other (and every due open-loop request) on this thread.
        var readsLeft = 4
        while connection.phase == .readingHead || connection.phase == .readingBody {
            if readsLeft == 0 {
                if !connection.isPendingRead {
                    connection.isPendingRead = true
                    pendingReads.append(connection)
                }
                return
            }
            readsLeft -= 1
            var limit = readBuffer.count
            if case .readRate(let bytesPerSecond) = plan.leader, connection.role == .leader {
                let now = BenchClock.nowNs()
                let allowed = bytesPerSecond * (now - connection.readStartNs) / 1_000_000_000 - connection.readTotal
                if allowed <= 0 {
                    connection.resumeAtNs = now + 10_000_000
                    return
                }
                limit = min(limit, Int(allowed))
            }
            let discarding = connection.phase == .readingBody && connection.framing == .length && connection.hasher == nil
            if connection.phase == .readingHead { limit = min(limit, 16 * 1024) }
            let n: Int
            if discarding {
                // recv(MSG_TRUNC) on TCP drops the bytes in the kernel without copying them:
                // the cheap discard that keeps the client from being the bottleneck.
                let wanted = Int(min(Int64(discardLimit), connection.bodyRemaining, Int64(limit == readBuffer.count ? discardLimit : limit)))
                let got = recv(connection.fd, nil, wanted, 0x20 | 0x40)  // MSG_TRUNC | MSG_DONTWAIT
                n = got >= 0 ? got : -Int(errno)
                if n > 0 {
                    connection.readTotal += Int64(n)
                    connection.bodyReceived += Int64(n)
                    connection.bodyRemaining -= Int64(n)
                    if connection.bodyRemaining == 0 { exchangeCompleted(connection); return }
                    if leaderAborts(connection) { return }
                    continue
                }
            } else {
                n = cep_read(connection.fd, readBuffer.baseAddress, limit)
            }
            if n == -Int(EAGAIN) || n == -Int(EINTR) { return }
            if n < 0 { exchangeFailed(connection); return }
            if n == 0 {
                if connection.phase == .readingBody, connection.framing == .untilClose {
                    connection.keepAlive = false
                    exchangeCompleted(connection)
                } else {
                    exchangeFailed(connection)
                }
                return
            }
            connection.readTotal += Int64(n)
            if connection.firstByteNs == 0 { connection.firstByteNs = BenchClock.nowNs() }
            if connection.phase == .readingHead {
                connection.headBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
                let headLength = connection.parseHead()
                if headLength < 0 { exchangeFailed(connection); return }
                if headLength == 0 { continue }
                connection.phase = .readingBody
                if connection.framing == .none { exchangeCompleted(connection); return }
                var rest = Array(connection.headBytes[headLength...])
                connection.headBytes.removeAll(keepingCapacity: true)
                if !rest.isEmpty {
                    let done = rest.withUnsafeMutableBytes { consumeBody(connection, $0.baseAddress!, $0.count) }
                    if done { return }
                }
            } else {
                if consumeBody(connection, readBuffer.baseAddress!, n) { return }
            }
            if leaderAborts(connection) { return }
        }
    }

    /// Most bytes one discarding recv asks for.
    private var discardLimit: Int { 64 << 20 }

    /// Closes the leader once it read its share of the body, when the plan says it aborts.
    private func leaderAborts(_ connection: LoadConnection) -> Bool {
        guard case .abortAfter(let fraction) = plan.leader, connection.role == .leader, connection.bodyLength > 0,
              Double(connection.bodyReceived) >= fraction * Double(connection.bodyLength) else { return false }
        closeSocket(connection)
        connection.phase = .finished
        return true
    }

    /// Feeds `count` body bytes at `bytes` through the framing; returns true when the
    /// exchange ended (completed or failed).
    func consumeBody(_ connection: LoadConnection, _ bytes: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        switch connection.framing {
        case .none:
            exchangeCompleted(connection)
            return true
        case .length:
            let taken = Int(min(Int64(count), connection.bodyRemaining))
            connection.hasher?.update(UnsafeRawBufferPointer(start: bytes, count: taken))
            connection.bodyReceived += Int64(taken)
            connection.bodyRemaining -= Int64(taken)
            if connection.bodyRemaining == 0 { exchangeCompleted(connection); return true }
            return false
        case .chunked:
            switch connection.chunked.decode(UnsafeMutableRawBufferPointer(start: bytes, count: count)) {
            case .invalid:
                exchangeFailed(connection)
                return true
            case .more(let dataCount):
                connection.hasher?.update(UnsafeRawBufferPointer(start: bytes, count: dataCount))
                connection.bodyReceived += Int64(dataCount)
                return false
            case .done(let dataCount, _):
                connection.hasher?.update(UnsafeRawBufferPointer(start: bytes, count: dataCount))
                connection.bodyReceived += Int64(dataCount)
                exchangeCompleted(connection)
                return true
            }
        case .untilClose:
            connection.hasher?.update(UnsafeRawBufferPointer(start: bytes, count: count))
            connection.bodyReceived += Int64(count)
            return false
        }
    }

    func exchangeCompleted(_ connection: LoadConnection) {
        let now = BenchClock.nowNs()
        if connection.role == .background {
            result.backgroundByteCount += connection.bodyReceived
        } else if isMeasured(connection) {
            result.statusCounts[connection.status, default: 0] += 1
            result.bodyByteCount += connection.bodyReceived
            if !(200...299).contains(connection.status) {
                result.failed += 1
            } else if !connection.digestMatches() {
                result.digestMismatches += 1
            } else {
                result.succeeded += 1
                let firstByte = connection.firstByteNs > 0 ? connection.firstByteNs : now
                result.ttfb.record(UInt64(max(1, (firstByte - connection.startNs) / 1000)))
                result.ttlb.record(UInt64(max(1, (now - connection.startNs) / 1000)))
            }
            lastCompletionNs = now
        }
        if !connection.keepAlive { closeSocket(connection) }
        next(connection, now: now)
    }

    func exchangeFailed(_ connection: LoadConnection) {
        if connection.phase == .connecting, connection.fd >= 0 { pendingConnects -= 1 }
        if isMeasured(connection) {
            result.failed += 1
            lastCompletionNs = BenchClock.nowNs()
        }
        if connection.fd >= 0 { closeSocket(connection) }
        next(connection, now: BenchClock.nowNs())
    }

    /// After an exchange: the connection's next request, or idle, or finished.
    private func next(_ connection: LoadConnection, now: Int64) {
        let hadRequest = !connection.request.isEmpty
        connection.completedCount += 1
        connection.request = []
        switch (connection.role, plan.mode) {
        case (.background, _):
            if mainDone { connection.phase = .finished } else { startExchange(connection, startNs: now) }
        case (_, .open):
            if hadRequest { inFlight -= 1 }
            connection.phase = .idle
            idle.append(connection.slot)
        case (.leader, .closed) where !isMeasured(connection):
            connection.phase = .finished
            if plan.waitForLeader {
                measuredActive -= 1
                if measuredActive == 0 { mainDone = true }
            }
        case (_, .closed(let perConnection)):
            let countReached = perConnection.map { connection.completedCount >= $0 } ?? false
            if countReached || now >= issueEndNs {
                connection.phase = .finished
                measuredActive -= 1
                if measuredActive == 0 { mainDone = true }
            } else {
                startExchange(connection, startNs: now)
            }
        }
    }

    func closeSocket(_ connection: LoadConnection) {
        guard connection.fd >= 0 else { return }
        poller.remove(fd: connection.fd)
        _ = cep_close(connection.fd)
        connection.fd = -1
    }
}
