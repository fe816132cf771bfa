import CEpoll
import Glibc

/// Upstream timeouts in monotonic nanoseconds (from `Configuration.timeouts`).
public struct UpstreamTimeouts: Sendable {
    public var connect: Int64
    public var readStall: Int64
    /// Minimum transfer rate in bytes per second, measured over `rateWindow`.
    public var minimumRate: Int64
    public var rateWindow: Int64
    /// How long an idle keep-alive connection is kept in the pool.
    public var idle: Int64 = 30_000_000_000

    public init(connect: Int64, readStall: Int64, minimumRate: Int64, rateWindow: Int64) {
        self.connect = connect
        self.readStall = readStall
        self.minimumRate = minimumRate
        self.rateWindow = rateWindow
    }
}

/// One HTTP/1.1 connection to an upstream origin, over TCP or TLS, driven by
/// one event loop: resolve (off-loop), non-blocking connect, TLS handshake,
/// one request at a time, response head parsed by the C parser, body framed by
/// Content-Length, chunked coding or close (RFC 9112 section 6.3), then back
/// to the pool when the framing ended cleanly.
///
/// Confinement: loop-confined (its pool's loop).
final class UpstreamConnection: EventHandler, TimerTarget {
    private enum State {
        case fresh, resolving, connecting, handshaking, sending, awaitingHead, readingBody, idle, closed
    }

    private enum BodyFraming {
        case none
        case length(remaining: Int64)
        case chunked
        case untilClose
    }

    let origin: Origin
    private unowned let pool: UpstreamPool
    private var loop: EventLoop { pool.loop }

    private var state = State.fresh
    private var fd: Int32 = -1
    private var registration: Registration?
    private var tls: OpaquePointer?
    /// A TLS read reported WANT_WRITE and write interest was added for it; dropped again
    /// by the next read that gets further (see `transportRead`).
    private var tlsReadWantsWrite = false
    private var handler: UpstreamResponseHandler?
    private var request: UpstreamRequest?
    private var requestBytes: [UInt8] = []
    private var requestOffset = 0
    private var addresses: [ResolvedAddress] = []
    private var addressIndex = 0

    private static let bufferCapacity = 256 * 1024
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: UpstreamConnection.bufferCapacity, alignment: 16)
    private var buffered = 0
    private var head = cep_http_head()
    private let fieldStorage = UnsafeMutablePointer<cep_http_field>.allocate(capacity: Int(CEP_HTTP_MAX_HEADERS))
    private var chunkDecoder = cep_chunked()
    private var framing = BodyFraming.none
    private var reusable = false
    private var receivedBodyBytes: Int64 = 0

    /// Whether this connection came from the pool (a close or reset by the
    /// peer before any response byte is then retried once on a fresh
    /// connection: the origin may have closed the idle connection as we
    /// reused it). A timeout is never retried: it would cost a second one.
    private var reused = false
    private var receivedAnything = false

    private var deadline: Int64 = 0
    private var armedDeadline: Int64 = 0
    private var rateWindowStart: Int64 = 0
    private var rateWindowBytes: Int64 = 0

    init(origin: Origin, pool: UpstreamPool) {
        self.origin = origin
        self.pool = pool
        head.fields = fieldStorage
        head.fields_cap = UInt32(CEP_HTTP_MAX_HEADERS)
    }

    deinit {
        if let tls { cep_tls_free(tls) }
        if fd >= 0 { _ = cep_close(fd) }
        buffer.deallocate()
        fieldStorage.deallocate()
    }

    var isIdle: Bool { state == .idle }

    /// Whether an idle plain-TCP connection can carry another request:
    /// nothing may be pending on it (stray bytes from a misbehaving upstream
    /// would otherwise be read as the next request's response). TLS
    /// connections may legitimately hold records (session tickets) and are
    /// reused as they are.
    var isCleanForReuse: Bool {
        state == .idle && (tls != nil || cep_socket_idle_clean(fd) == 1)
    }

    // MARK: Starting an exchange

    /// Sends `request` and reports the response to `handler`.
    func start(_ request: UpstreamRequest, handler: UpstreamResponseHandler) {
        self.request = request
        self.handler = handler
        requestBytes = request.serialize(userAgent: pool.userAgent)
        requestOffset = 0
        receivedAnything = false
        receivedBodyBytes = 0
        buffered = 0
        cep_http_reset(&head)
        switch state {
        case .idle:
            reused = true
            state = .sending
            setInterest([.writable, .readHangup])
            touch()
            sendRequest()
        case .fresh:
            reused = false
            state = .resolving
            setDeadline(MonotonicClock.now() + pool.timeouts.connect)
            let bound = LoopBound(self, loop: loop)
            pool.resolver.resolve(origin.host, on: loop) { result in
                bound.value.resolved(result)
            }
        default:
            preconditionFailure("upstream connection started in state \(state)")
        }
    }

    private func resolved(_ result: Result<[ResolvedAddress], UpstreamError>) {
        guard state == .resolving else { return }
        switch result {
        case .failure(let error):
            fail(error)
        case .success(let list):
            addresses = list
            addressIndex = 0
            connectNext(lastError: "no addresses")
        }
    }

    private func connectNext(lastError: String) {
        closeSocket()
        guard addressIndex < addresses.count else {
            fail(.connect("\(origin): \(lastError)"))
            return
        }
        let address = addresses[addressIndex]
        addressIndex += 1
        let rc = address.bytes.withUnsafeBufferPointer { cep_tcp_connect(address.family, $0.baseAddress, origin.port) }
        guard rc >= 0 else {
            connectNext(lastError: SystemError(code: -rc, operation: "connect").description)
            return
        }
        fd = rc
        state = .connecting
        do {
            registration = try loop.register(fd: fd, events: [.writable], handler: self)
        } catch {
            fail(.connect(error.description))
        }
    }

    // MARK: Events

    func handleEvents(_ events: EventLoop.Events) {
        switch state {
        case .connecting:
            let rc = cep_socket_error(fd)
            if rc != 0 {
                connectNext(lastError: SystemError(code: -rc, operation: "connect").description)
                return
            }
            if origin.useTLS {
                guard let session = cep_tls_new(pool.tlsContext(for: origin).pointer, fd, origin.host) else {
                    fail(.tls("cannot create a TLS session for \(origin.host)"))
                    return
                }
                tls = session
                state = .handshaking
                handshake()
            } else {
                state = .sending
                touch()
                sendRequest()
            }
        case .handshaking:
            handshake()
        case .sending:
            if events.contains(.error) || events.contains(.hangup) {
                retryIfStaleOrFail(.connect("connection to \(origin) closed while sending"))
                return
            }
            sendRequest()
        case .awaitingHead, .readingBody:
            readAvailable()
        case .idle:
            // The origin closed the idle connection, or sent bytes it should not have.
            closeForGood()
        case .fresh, .resolving, .closed:
            break
        }
    }

    private func handshake() {
        guard let tls else { return }
        let rc = cep_tls_handshake(tls)
        switch rc {
        case 0:
            state = .sending
            touch()
            sendRequest()
        case CEP_TLS_WANT_READ:
            setInterest([.readable])
        case CEP_TLS_WANT_WRITE:
            setInterest([.writable])
        default:
            fail(.tls("\(origin.host): \(tlsErrorText())"))
        }
    }

    private func tlsErrorText() -> String {
        var message = [CChar](repeating: 0, count: 256)
        cep_tls_last_error(tls, &message, message.count)
        return String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func sendRequest() {
        while requestOffset < requestBytes.count {
            let n = requestBytes.withUnsafeBytes { raw in
                transportWrite(raw.baseAddress! + requestOffset, raw.count - requestOffset)
            }
            if n > 0 {
                requestOffset += n
                continue
            }
            if n == -Int(EAGAIN) {
                setInterest([.writable])
                return
            }
            let error = UpstreamError.connect("write to \(origin) failed")
            // EPIPE/ECONNRESET: the peer closed it. The TLS shim folds the socket's errno into
            // one TLS error, and an established session's write fails only with its transport.
            if n == -Int(EPIPE) || n == -Int(ECONNRESET) || tls != nil {
                retryIfStaleOrFail(error)
            } else {
                fail(error)
            }
            return
        }
        state = .awaitingHead
        setInterest([.readable])
        touch()
    }

    // MARK: Reading

    /// Bytes read per loop turn before yielding to the loop's other events.
    private static let readBudget = 4 << 20

    private func readAvailable() {
        // Drain what is there, up to a budget so that a fast upstream cannot
        // keep the loop from its clients. Plain sockets stay readable (level
        // triggered); TLS may hold decrypted bytes epoll cannot see, so it
        // resumes at the end of this loop turn.
        var budget = UpstreamConnection.readBudget
        while state == .awaitingHead || state == .readingBody {
            if budget <= 0 {
                if tls != nil {
                    loop.deferToEndOfTurn { [weak self] in self?.readAvailable() }
                }
                return
            }
            let room = UpstreamConnection.bufferCapacity - buffered
            if room == 0 {
                fail(.malformedResponse("response head larger than \(UpstreamConnection.bufferCapacity) bytes"))
                return
            }
            let n = transportRead(buffer + buffered, room)
            if n > 0 {
                receivedAnything = true
                budget -= n
                buffered += n
                touch()
                if state == .awaitingHead {
                    parseHead()
                } else {
                    deliverBody()
                }
            } else if n == 0 {
                endOfStream()
                return
            } else if n == -Int(EAGAIN) {
                return
            } else if n == -Int(ECONNRESET) {
                retryIfStaleOrFail(.closedEarly(receivedBytes: receivedBodyBytes))
                return
            } else {
                fail(.closedEarly(receivedBytes: receivedBodyBytes))
                return
            }
        }
    }

    private func parseHead() {
        let rc = cep_http_parse_response(&head, buffer.assumingMemoryBound(to: CChar.self), buffered)
        if rc == CEP_HTTP_PARTIAL { return }
        if rc < 0 {
            fail(.malformedResponse("bad response head from \(origin) (error \(head.error.rawValue))"))
            return
        }
        let headLength = Int(rc)
        let status = Int(head.status)
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(Int(head.field_count))
        for i in 0..<Int(head.field_count) {
            let field = fieldStorage[i]
            let name = String(decoding: UnsafeRawBufferPointer(start: buffer + Int(field.name_off), count: Int(field.name_len)), as: UTF8.self).lowercased()
            let value = String(decoding: UnsafeRawBufferPointer(start: buffer + Int(field.value_off), count: Int(field.value_len)), as: UTF8.self)
            fields.append((name, value))
        }
        // Interim 1xx responses are skipped (RFC 9110 section 15.2).
        if status >= 100 && status < 200 {
            shiftBuffer(consumed: headLength)
            cep_http_reset(&head)
            if buffered > 0 { parseHead() }
            return
        }
        let chunked = head.flags & UInt32(CEP_HTTP_F_CHUNKED) != 0
        let close = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) != 0 || head.version_minor == 0
        reusable = !close
        var contentLength: Int64? = head.content_length >= 0 ? head.content_length : nil
        if request?.method == .head || status == 204 || status == 304 {
            framing = .none
        } else if chunked {
            framing = .chunked
            chunkDecoder = cep_chunked()
            contentLength = nil
        } else if let length = contentLength {
            framing = .length(remaining: length)
        } else {
            framing = .untilClose
            reusable = false
        }
        shiftBuffer(consumed: headLength)
        state = .readingBody
        rateWindowStart = MonotonicClock.now()
        rateWindowBytes = 0
        handler?.upstreamReceivedHead(UpstreamResponseHead(status: status, fields: fields, contentLength: contentLength))
        guard state == .readingBody else { return }  // the handler may have cancelled
        // Content-Length: 0 ends the message with its head (RFC 9112 section 6.3): no body
        // byte will arrive to trigger the end, so end it now. Redirects and 401s often have
        // an empty body, and the exchange only follows them once the response ended.
        if case .length(remaining: 0) = framing { framing = .none }
        if case .none = framing {
            if buffered > 0 { reusable = false }
            finish()
            return
        }
        if buffered > 0 { deliverBody() }
    }

    private func shiftBuffer(consumed: Int) {
        let rest = buffered - consumed
        if rest > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: rest) }
        buffered = rest
    }

    private func deliverBody() {
        switch framing {
        case .none:
            buffered = 0
        case .length(let remaining):
            let take = Int(min(Int64(buffered), remaining))
            if buffered > take { reusable = false }  // more than Content-Length: never reuse
            buffered = 0
            emit(count: take)
            guard state == .readingBody else { return }
            let left = remaining - Int64(take)
            framing = .length(remaining: left)
            if left == 0 { finish() }
        case .untilClose:
            let take = buffered
            buffered = 0
            emit(count: take)
        case .chunked:
            var length = buffered
            let rc = cep_chunked_decode(&chunkDecoder, buffer.assumingMemoryBound(to: CChar.self), &length)
            buffered = 0
            if rc == CEP_HTTP_INVALID {
                fail(.malformedResponse("bad chunked framing from \(origin)"))
                return
            }
            emit(count: length)
            guard state == .readingBody else { return }
            if rc >= 0 {
                if rc > 0 { reusable = false }
                finish()
            }
        }
    }

    private func emit(count: Int) {
        guard count > 0 else { return }
        receivedBodyBytes += Int64(count)
        rateWindowBytes += Int64(count)
        handler?.upstreamReceivedBody(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    private func endOfStream() {
        switch state {
        case .readingBody:
            if case .untilClose = framing {
                reusable = false
                finish()
            } else {
                fail(.closedEarly(receivedBytes: receivedBodyBytes))
            }
        default:
            retryIfStaleOrFail(.closedEarly(receivedBytes: 0))
        }
    }

    // MARK: Completion

    private func finish() {
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
    private func retryIfStaleOrFail(_ error: UpstreamError) {
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

    private func fail(_ error: UpstreamError) {
        let handler = self.handler
        self.handler = nil
        request = nil
        closeForGood()
        handler?.upstreamFailed(error)
    }

    /// Closes the connection for good and leaves the pool. Every final close goes through
    /// here: a closed connection left in the pool's table of active connections would keep
    /// its 256 KiB buffer for the process's life. (`closeSocket` alone is for a reconnect.)
    private func closeForGood() {
        closeSocket()
        state = .closed
        pool.remove(self)
    }

    private func closeSocket() {
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

    // MARK: Transport

    private func transportRead(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
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

    private func transportWrite(_ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        if let tls {
            let n = cep_tls_write(tls, pointer, count)
            if n == CEP_TLS_WANT_WRITE || n == CEP_TLS_WANT_READ { return -Int(EAGAIN) }
            return n < 0 ? -Int(EIO) : n
        }
        return cep_write(fd, pointer, count)
    }

    private func setInterest(_ events: EventLoop.Events) {
        guard let registration else { return }
        loop.modify(fd: fd, registration: registration, events: events)
    }

    // MARK: Timeouts

    /// Records progress: the read-stall deadline moves forward.
    private func touch() {
        setDeadline(MonotonicClock.now() + pool.timeouts.readStall)
    }

    private func setDeadline(_ value: Int64) {
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
        case .resolving, .connecting, .handshaking:
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
