import CEpoll
import Glibc

/// One client's HTTP/1.1 connection: reads request heads (keep-alive and
/// pipelining), hands each to the `RequestDispatcher`, and writes the
/// response — head and small bodies with `write`, files and fills with
/// `sendfile` — before reading the next request.
///
/// Timeouts (RFC 9112 section 9.8 leaves them to us): a request head must
/// arrive within `requestHead`; an idle keep-alive connection is closed after
/// `idleKeepAlive`; a client that accepts no bytes for `clientWriteStall`
/// is dropped. Waiting for a fill is not a stall: the client is not at fault.
///
/// Confinement: loop-confined; every method runs on its loop's thread.
final class ClientConnection: EventHandler, TimerTarget, FillObserver {
    private enum State {
        case readingHead
        /// A request is being answered (waiting for the upstream or a fill).
        case awaitingResponse
        case writing
        case closed
    }

    let fd: Int32
    let peer: String
    /// The `X-Forwarded-For` value for upstream requests made for the
    /// current request: the client's own list (if it sent one) with the
    /// client's address appended.
    var forwardedFor: String {
        if let forwarded = requestForwardedFor, !forwarded.isEmpty { return forwarded + ", " + clientAddress }
        return clientAddress
    }
    private var requestForwardedFor: String?

    /// The client's IP address without the port.
    var clientAddress: String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        if let colon = peer.lastIndex(of: ":") { return String(peer[..<colon]) }
        return peer
    }
    let context: LoopContext
    private var loop: EventLoop { context.loop }
    private var registration: Registration?
    private var state = State.readingHead
    private var buffer = ReadBuffer(maximumCapacity: Int(CEP_HTTP_MAX_HEAD) + 16 * 1024)
    private var parser = cep_http_head()
    private let fieldStorage = UnsafeMutablePointer<cep_http_field>.allocate(capacity: Int(CEP_HTTP_MAX_HEADERS))
    private var interest: EventLoop.Events = []
    private var peerHalfClosed = false

    /// Identifies the request being answered; asynchronous answers for an
    /// older request (or a closed connection) are dropped.
    private(set) var requestID: UInt64 = 0
    private var keepAlive = true

    // The response being written.
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var body = ResponseBody.empty
    private var bodyOffset: Int64 = 0
    private var observedFill: Fill?
    /// Called when the fill this request waits on (before answering) changes.
    var fillWaiter: ((Fill) -> Void)?

    // Access log and metrics for the current request.
    private var requestStart: Int64 = 0
    private var logMethod = HTTPMethod.get
    private var logTarget = ""
    private var logStatus = 0
    private var logOutcome: CacheOutcome?
    private var bytesSent: Int64 = 0
    /// The upstream the request went to, for the access log.
    var logUpstream: String?

    // Timeouts.
    private var deadline: Int64 = 0
    private var armedDeadline: Int64 = 0

    init(fd: Int32, peer: String, context: LoopContext) {
        self.fd = fd
        self.peer = peer
        self.context = context
        parser.fields = fieldStorage
        parser.fields_cap = UInt32(CEP_HTTP_MAX_HEADERS)
    }

    deinit {
        fieldStorage.deallocate()
    }

    /// Registers with the loop and starts reading.
    func start() throws(SystemError) {
        interest = [.readable, .readHangup]
        registration = try loop.register(fd: fd, events: interest, handler: self)
        context.shared.metrics.connectionsOpened()
        setDeadline(MonotonicClock.now() + context.requestHeadTimeoutNanoseconds)
    }

    // MARK: Events

    func handleEvents(_ events: EventLoop.Events) {
        if state == .closed { return }
        if events.contains(.error) || (events.contains(.hangup) && !events.contains(.readable)) {
            close()
            return
        }
        if events.contains(.writable) && state == .writing {
            flush()
            if state == .closed { return }
        }
        if events.contains(.readable) && state == .readingHead {
            readRequests()
        } else if events.contains(.readHangup) && state != .readingHead {
            // The client half-closed while we answer: finish this response,
            // then close instead of keeping the connection alive.
            peerHalfClosed = true
            updateInterest()
        }
    }

    /// One read per readable event: the registration is level-triggered,
    /// so bytes still in the socket wake the loop again, and a keep-alive
    /// request costs no second `read` that would only say EAGAIN.
    private func readRequests() {
        guard state == .readingHead else { return }
        let n = buffer.read(from: fd)
        if n > 0 {
            processBufferedRequests()
            return
        }
        if n == 0 {
            // End of stream: between requests that is a normal close.
            close()
            return
        }
        if n == -Int(EAGAIN) { return }
        close()
    }

    /// Parses and dispatches buffered requests while reading heads. Returns
    /// false when the connection closed.
    @discardableResult
    private func processBufferedRequests() -> Bool {
        while state == .readingHead && !buffer.isEmpty {
            if parser.scanned == 0 && parser.state == 0 {
                // The first byte of a request. A TLS ClientHello (0x16) on
                // this plain-HTTP port is refused at once: podman and skopeo
                // try TLS first and fall back only when the server says no.
                let first = buffer.withReadableBytes { $0[0] }
                if first == 0x16 {
                    closeWithReset()
                    return false
                }
                if requestStart == 0 { requestStart = MonotonicClock.now() }
                setDeadline(MonotonicClock.now() + context.requestHeadTimeoutNanoseconds)
            }
            let rc = buffer.withReadableBytes { bytes in
                cep_http_parse_request(&parser, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
            }
            if rc == CEP_HTTP_PARTIAL {
                if buffer.isFull { rejectHead(status: 431) }
                return state != .closed
            }
            if rc < 0 {
                rejectHead(status: ClientConnection.status(for: parser.error))
                return false
            }
            let head = buffer.withReadableBytes { RequestHead(parsed: parser, buffer: $0) }
            buffer.consume(Int(rc))
            cep_http_reset(&parser)
            begin(head)
        }
        return state != .closed
    }

    static func status(for error: cep_http_error) -> Int {
        switch error {
        case CEP_HTTP_ERR_LINE_TOO_LONG: 414
        case CEP_HTTP_ERR_HEAD_TOO_LARGE, CEP_HTTP_ERR_TOO_MANY_HEADERS: 431
        case CEP_HTTP_ERR_TRANSFER_ENCODING: 501
        case CEP_HTTP_ERR_VERSION: 505
        default: 400
        }
    }

    private func rejectHead(status: Int) {
        requestID &+= 1
        logMethod = .other
        logTarget = "-"
        keepAlive = false
        let message = Array("\(ResponseHead.reasonPhrase(status))\n".utf8)
        startResponse(ResponseHead(status: status, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                      body: .bytes(message), headOnly: false, outcome: nil)
    }

    private func begin(_ head: RequestHead) {
        guard head.hasValidHost else {
            // RFC 9112 section 3.2: no Host in HTTP/1.1, several, or an invalid one.
            rejectHead(status: 400)
            return
        }
        requestID &+= 1
        if requestStart == 0 { requestStart = MonotonicClock.now() }
        logMethod = head.method
        logTarget = head.target
        requestForwardedFor = head.forwardedFor
        // Bodies are not read: a request that carries one is answered and
        // the connection closed, so its body is never taken for a request.
        keepAlive = head.keepAlive && !head.hasBody
        state = .awaitingResponse
        setDeadline(0)
        RequestDispatcher.dispatch(head, connection: self)
        // Hits are answered (and usually written) inside `dispatch`, with the
        // interest left as it was; only a request still waiting (upstream,
        // fill) changes it. That saves two epoll_ctl calls per hit.
        if state == .awaitingResponse { updateInterest() }
    }

    // MARK: Answering

    /// Sends a response for request `id` (dropped if that request is over).
    /// - Parameters:
    ///   - headOnly: a HEAD request: the GET's head, no body.
    ///   - outcome: the cache outcome for the access log and metrics.
    func respond(_ id: UInt64, head: ResponseHead, body: ResponseBody, headOnly: Bool, outcome: CacheOutcome?) {
        guard id == requestID, state == .awaitingResponse else { return }
        startResponse(head, body: body, headOnly: headOnly, outcome: outcome)
    }

    /// Sends an OCI error response for request `id`.
    /// - Parameter allow: for a 405, the target's methods, sent as `Allow` (RFC 9110 section
    ///   15.5.6 requires it; an empty value means none, section 10.2.1).
    func respond(_ id: UInt64, error: RegistryError, retryAfter: String? = nil, allow: String? = nil, headOnly: Bool,
                 outcome: CacheOutcome? = nil) {
        var head = ResponseHead(status: error.status, fields: [("Content-Type", "application/json; charset=utf-8")])
        head.add("Docker-Distribution-API-Version", "registry/2.0")
        if let retryAfter { head.add("Retry-After", retryAfter) }
        if let allow { head.add("Allow", allow) }
        if error.status == 416, let detail = error.detail, detail.hasPrefix("size ") {
            head.add("Content-Range", "bytes */\(detail.dropFirst(5))")
        }
        respond(id, head: head, body: .bytes(error.jsonBody()), headOnly: headOnly, outcome: outcome)
    }

    /// Waits (before answering request `id`) for `fill` to change; `onChange`
    /// runs on this loop at each change until the response starts.
    func waitForFill(_ id: UInt64, fill: Fill, onChange: @escaping (Fill) -> Void) {
        guard id == requestID, state == .awaitingResponse else { return }
        fillWaiter = onChange
        observe(fill)
    }

    private func observe(_ fill: Fill) {
        if observedFill === fill { return }
        stopObservingFill()
        observedFill = fill
        context.fillObservers.add(self, to: fill, context: context)
    }

    private func stopObservingFill() {
        if let fill = observedFill {
            context.fillObservers.remove(self, from: fill)
            observedFill = nil
        }
    }

    func fillChanged(_ fill: Fill) {
        switch state {
        case .awaitingResponse:
            fillWaiter?(fill)
        case .writing:
            if case .fill(let current, _, _) = body, current === fill { flush() }
        case .readingHead, .closed:
            break
        }
    }

    private func startResponse(_ head: ResponseHead, body: ResponseBody, headOnly: Bool, outcome: CacheOutcome?) {
        fillWaiter = nil
        logStatus = head.status
        logOutcome = outcome
        if peerHalfClosed { keepAlive = false }
        let declared: Int64? = head.status == 304 ? nil : body.length
        // The head goes into the loop's reusable buffer (see `releasePending`),
        // so a small response allocates nothing.
        swap(&pending, &context.responseBuffer)
        pending.removeAll(keepingCapacity: true)
        pending.reserveCapacity(512)
        head.serialize(contentLength: declared, keepAlive: keepAlive, appendingTo: &pending)
        pendingOffset = 0
        self.body = headOnly || head.status == 304 ? .empty : body
        switch self.body {
        case .bytes(let bytes):
            pending.append(contentsOf: bytes)
            self.body = .empty
        case .file(_, let offset, _), .fill(_, let offset, _):
            bodyOffset = offset
        case .empty:
            break
        case .declaredLength:
            assertionFailure("a declared length without a body only answers HEAD")
            self.body = .empty
        }
        if case .fill(let fill, _, _) = self.body { observe(fill) } else { stopObservingFill() }
        state = .writing
        setDeadline(MonotonicClock.now() + context.clientWriteStallTimeoutNanoseconds)
        flush()
    }

    /// Writes as much of the response as the socket takes now.
    private func flush() {
        // Fairness: one fast reader must not keep the loop to itself. After
        // `flushBudget` bytes the connection yields; its socket is still
        // writable, so the next epoll turn comes straight back to it after
        // everyone else's events.
        flushBudgetSpent = 0
        while state == .writing {
            if flushBudgetSpent >= ClientConnection.flushBudget {
                waitWritable()
                return
            }
            if pendingOffset < pending.count {
                let n = pending.withUnsafeBytes { raw in
                    cep_write(fd, raw.baseAddress! + pendingOffset, raw.count - pendingOffset)
                }
                if n > 0 {
                    pendingOffset += n
                    progressed(n)
                    continue
                }
                if n == -Int(EAGAIN) { return waitWritable() }
                return close()
            }
            switch body {
            case .empty:
                return finishResponse()
            case .file(let file, _, let end):
                if bodyOffset >= end { return finishResponse() }
                if !send(file: file, upTo: end) { return }
            case .fill(let fill, _, let end):
                if bodyOffset >= end { return finishResponse() }
                switch fill.readableLimit(end: end) {
                case .failed:
                    // Never complete-looking: close before the declared length.
                    return closeWithReset()
                case .upTo(let limit):
                    if bodyOffset >= limit {
                        // Nothing new in the file yet: wait for the fill, not the client.
                        setInterest(peerHalfClosed ? [] : [.readHangup])
                        setDeadline(0)
                        return
                    }
                    // Read the window after the limit: bytes past the limit's
                    // publication were stored wherever the fill put them then.
                    let window = fill.memoryWindow
                    if let window, bodyOffset >= window.firstOffset {
                        if !send(window: window, upTo: limit) { return }
                    } else if let file = fill.file {
                        if !send(file: file, upTo: window.map { min(limit, $0.firstOffset) } ?? limit) { return }
                    } else {
                        return closeWithReset()
                    }
                }
            case .bytes, .declaredLength:
                preconditionFailure("bytes bodies are written with the head")
            }
        }
    }

    /// sendfile from `file` up to `limit`. Returns false when the flush must
    /// stop (the socket is full or the connection closed).
    private func send(file: SharedFile, upTo limit: Int64) -> Bool {
        let count = Int(min(limit - bodyOffset, Int64(ClientConnection.flushBudget)))
        let before = bodyOffset
        let n = cep_sendfile(fd, file.descriptor, &bodyOffset, count)
        if n > 0 {
            progressed(Int(bodyOffset - before))
            return true
        }
        if n == -Int(EAGAIN) {
            waitWritable()
            return false
        }
        close()
        return false
    }

    /// Writes from a fill's memory window. Returns false when the flush must
    /// stop; a waiter that fell behind the window is reset (it retries).
    private func send(window: MemoryWindow, upTo limit: Int64) -> Bool {
        switch window.send(to: fd, offset: bodyOffset, limit: limit) {
        case .sent(let n):
            bodyOffset += Int64(n)
            progressed(n)
            return n > 0
        case .wouldBlock:
            waitWritable()
            return false
        case .fellBehind:
            context.shared.logger.info("client fell behind an uncached fill's memory window; disconnecting",
                                       metadata: ["client": "\(peer)", "target": "\(LogRedaction.target(logTarget))"])
            closeWithReset()
            return false
        case .failed:
            close()
            return false
        }
    }

    /// Bytes one connection may write per loop turn before yielding.
    static let flushBudget = 1 << 20
    private var flushBudgetSpent = 0

    private func progressed(_ n: Int) {
        flushBudgetSpent += n
        bytesSent += Int64(n)
        setDeadline(MonotonicClock.now() + context.clientWriteStallTimeoutNanoseconds)
    }

    private func waitWritable() {
        setInterest(peerHalfClosed ? [.writable] : [.writable, .readHangup])
    }

    private func finishResponse() {
        context.shared.metrics.bytesSentToClients(Int(bytesSent))
        logRequest()
        stopObservingFill()
        body = .empty
        releasePending()
        if !keepAlive || peerHalfClosed {
            close()
            return
        }
        state = .readingHead
        buffer.releaseIfEmpty()
        setInterest([.readable, .readHangup])
        let timeout = buffer.isEmpty ? context.idleKeepAliveTimeoutNanoseconds : context.requestHeadTimeoutNanoseconds
        setDeadline(MonotonicClock.now() + timeout)
        if !buffer.isEmpty {
            // Pipelined requests already read: answer them in a later turn so
            // one client cannot monopolise the loop.
            loop.deferToEndOfTurn { [weak self] in
                guard let self, self.state == .readingHead else { return }
                if self.processBufferedRequests() { self.readRequests() }
            }
        }
    }

    /// Hands the written response buffer back to the loop for the next
    /// response (any connection), unless it grew past
    /// `reusedBufferCapacity` (a big manifest or /metrics): an idle
    /// connection keeps no buffer.
    private func releasePending() {
        pending.removeAll(keepingCapacity: true)
        pendingOffset = 0
        if pending.capacity <= ClientConnection.reusedBufferCapacity && pending.capacity > context.responseBuffer.capacity {
            swap(&pending, &context.responseBuffer)
        }
        pending = []
    }

    /// Largest response buffer (bytes) kept for reuse by the loop.
    static let reusedBufferCapacity = 64 * 1024

    private func logRequest() {
        let elapsed = requestStart == 0 ? 0 : MonotonicClock.now() - requestStart
        context.shared.metrics.requestCompleted(status: logStatus)
        if let logOutcome { context.shared.metrics.cacheOutcome(logOutcome) }
        if context.shared.configuration.accessLog {
            let line = AccessLogLine(
                clientAddress: peer, method: logMethod.token, path: logTarget, status: logStatus,
                bytesSent: Int(bytesSent), duration: .nanoseconds(elapsed), cacheOutcome: logOutcome, upstreamName: logUpstream,
                endedAtUnixNanoseconds: cep_realtime_ns())
            // Formatted into a per-loop buffer, written by the log writer thread:
            // loops never wait on each other or on a stalled stderr.
            context.accessLogBuffer.removeAll(keepingCapacity: true)
            line.render(into: &context.accessLogBuffer)
            context.accessLogBuffer.append(0x0A)
            context.accessLogBuffer.withUnsafeBytes { LogWriter.standardError.enqueue($0) }
        }
        requestStart = 0
        bytesSent = 0
        logOutcome = nil
        logStatus = 0
        logUpstream = nil
    }

    // MARK: Interest, timeouts and closing

    private func updateInterest() {
        switch state {
        case .readingHead: setInterest([.readable, .readHangup])
        case .awaitingResponse: setInterest(peerHalfClosed ? [] : [.readHangup])
        case .writing:
            // Level-triggered: a half-close must stop being watched, or it
            // would wake the loop forever while this response is written.
            if peerHalfClosed { setInterest(interest.subtracting(.readHangup)) }
        case .closed: break
        }
    }

    private func setInterest(_ events: EventLoop.Events) {
        guard events != interest, let registration else { return }
        interest = events
        loop.modify(fd: fd, registration: registration, events: events)
    }

    private func setDeadline(_ value: Int64) {
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
            if buffer.isEmpty && parser.scanned == 0 {
                close()  // idle keep-alive connection
            } else {
                rejectHead(status: 408)
            }
        case .writing:
            context.shared.logger.info("client stopped reading; closing", metadata: ["client": "\(peer)", "target": "\(LogRedaction.target(logTarget))"])
            closeWithReset()
        case .awaitingResponse, .closed:
            break
        }
    }

    /// Closes the connection (idempotent). With `reset`, the close sends a
    /// TCP reset, so a client cannot mistake a cut-short body for a whole one.
    func close(reset: Bool = false) {
        guard state != .closed else { return }
        if state == .writing && logStatus != 0 {
            logRequest()  // a response cut short still gets its log line
        }
        state = .closed
        fillWaiter = nil
        stopObservingFill()
        if let registration {
            loop.deregister(fd: fd, registration: registration)
            self.registration = nil
        }
        if reset { _ = cep_close_reset(fd) } else { _ = cep_close(fd) }
        context.shared.metrics.connectionsClosed()
        context.openConnections[ObjectIdentifier(self)] = nil
    }

    func closeWithReset() {
        close(reset: true)
    }
}
