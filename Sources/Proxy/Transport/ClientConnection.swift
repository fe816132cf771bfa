import CEpoll
import Glibc
import ProxyHTTP
import ProxyLoop
import ProxyMetrics
import ProxySystem

/// One client's HTTP/1.1 connection: transport only. It reads request heads
/// (keep-alive and pipelining), hands each to its `RequestHandler` (the registry
/// policy), and writes the response the handler gives back through the
/// `ClientResponder` side — head and small bodies with `write`, files with
/// `sendfile`, streamed bodies (fills) as the body says bytes may go — before
/// reading the next request. Concerns by file: `+Reading`, `+Writing`,
/// `+Timeouts`, `+AccessLog`, `+TLS` (on a TLS listen address: handshake, plain-HTTP
/// refusal, the OpenSSL byte paths).
///
/// Timeouts (RFC 9112 section 9.8 leaves them to us): a request head must
/// arrive within `requestHead`; an idle keep-alive connection is closed after
/// `idleKeepAlive`; a client that accepts no bytes for `clientWriteStall`
/// is dropped. Waiting for a fill is not a stall: the client is not at fault.
///
/// Confinement: loop-confined; every method runs on its loop's thread.
final class ClientConnection: EventHandler {
    // The extensions in the other ClientConnection+*.swift files use these members,
    // which are therefore internal; nothing outside the connection touches them.
    enum State {
        /// On a TLS listen address, until the handshake is done (under the request-head deadline).
        case handshaking
        case readingHead
        /// A request is being answered (waiting for the upstream or a fill).
        case awaitingResponse
        case writing
        case closed
    }

    let fd: Int32
    let peer: String
    /// The `X-Forwarded-For` and `Via` for upstream requests made for the current request:
    /// the client's own `X-Forwarded-For` list only when the peer is in `trusted_proxies`
    /// (anyone else could forge it), with the peer's address appended; its `Via` as sent.
    var forwarding: ForwardingChain {
        let address = clientAddress
        var forwardedFor = address
        if let forwarded = requestForwardedFor, !forwarded.isEmpty, !context.trustedProxies.isEmpty,
           context.trustedProxies.containsAddress(address) {
            forwardedFor = forwarded + ", " + address
        }
        return ForwardingChain(forwardedFor: forwardedFor, via: requestVia ?? "")
    }
    var requestForwardedFor: String?
    var requestVia: String?

    /// See ``ClientResponder/clientAddressForLimits``: X-Forwarded-For is read right to left
    /// (each proxy appends), skipping trusted proxies; a forged entry further left is never
    /// reached while a trusted proxy appended the real one.
    var clientAddressForLimits: String {
        let address = clientAddress
        guard let forwarded = requestForwardedFor, context.trustedProxies.containsAddress(address) else { return address }
        var nearest = address
        for entry in forwarded.split(separator: ",").reversed() {
            nearest = String(entry.trimmingOWS())
            if !context.trustedProxies.containsAddress(nearest) { break }
        }
        return nearest
    }

    func clientUsedTLS(forwardedProto: String?) -> Bool {
        if context.tls != nil { return true }
        guard let forwardedProto, context.trustedProxies.containsAddress(clientAddress) else { return false }
        return forwardedProto.split(separator: ",").last.map { $0.trimmingOWS().lowercased() } == "https"
    }

    /// The client's IP address without the port.
    var clientAddress: String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        if let colon = peer.lastIndex(of: ":") { return String(peer[..<colon]) }
        return peer
    }
    let context: ConnectionContext
    /// The registry policy requests are handed to.
    let handler: any RequestHandler
    var loop: EventLoop { context.loop }
    var registration: Registration?
    var state = State.readingHead
    /// Holds storage only while request bytes are in flight (from the loop's pool).
    var buffer: ReadBuffer
    /// The request-head parser's state and field array, borrowed from the loop's pool while a
    /// head is being parsed (both must stay put across the calls for one head) and given
    /// back once it is parsed: nil between requests, so an idle connection holds neither.
    var parser: UnsafeMutablePointer<cep_http_head>?
    var interest: EventLoop.Events = []
    var peerHalfClosed = false
    /// The TLS session on a TLS listen address (from the first byte on); nil on plain HTTP.
    var tls: ClientTLSSession?

    /// Identifies the request being answered; asynchronous answers for an
    /// older request (or a closed connection) are dropped.
    var requestID: UInt64 = 0
    var keepAlive = true
    /// The current request's body: its framing until a handler reads it, then the reader.
    var requestBody = RequestBodyState.none

    // The response being written.
    var pending: [UInt8] = []
    var pendingOffset = 0
    var body = ResponseBody.empty
    /// Next byte of a `.file` body (a streamed body keeps its own offset).
    var bodyOffset: Int64 = 0
    /// An answer the handler is still preparing (cancelled when the request ends).
    var pendingAnswer: PendingAnswer?
    var flushBudgetSpent = 0

    // Access log and metrics for the current request.
    var requestStart: Int64 = 0
    var logMethod = HTTPMethod.get
    var logTarget = ""
    var logStatus = 0
    var logOutcome: CacheOutcome?
    /// Bytes of the response written so far, head included (see `bodyBytesSent`).
    var bytesSent: Int64 = 0
    /// Length of the response head in `pending`, set when the response starts.
    var responseHeadByteCount: Int64 = 0
    /// The upstream the request went to, for the access log.
    var logUpstream: String?
    /// The endpoint the request addressed (set by the handler), for the request metrics.
    var requestKind = EndpointKind.other
    /// The request's id (`+RequestID`), for the access log and `X-Request-ID`.
    var logRequestID = RequestID.generated(0)

    // Timeouts.
    var deadline: Int64 = 0
    var armedDeadline: Int64 = 0

    init(fd: Int32, peer: String, context: ConnectionContext, handler: any RequestHandler) {
        self.fd = fd
        self.peer = peer
        self.context = context
        self.handler = handler
        buffer = ReadBuffer(maximumCapacity: Int(CEP_HTTP_MAX_HEAD) + 16 * 1024, pool: context.readBuffers)
    }

    deinit {
        buffer.release()
        releaseParser()
    }

    /// The parser for the head being read, borrowed (zeroed, with its field array) when a head
    /// starts; the same one until `releaseParser()`.
    func borrowParser() -> UnsafeMutablePointer<cep_http_head> {
        if let parser { return parser }
        let block = context.headParsers.take().baseAddress!
        let head = block.bindMemory(to: cep_http_head.self, capacity: 1)
        head.initialize(to: cep_http_head())
        head.pointee.fields = (block + ConnectionContext.headFieldsOffset).bindMemory(to: cep_http_field.self, capacity: Int(CEP_HTTP_MAX_HEADERS))
        head.pointee.fields_cap = UInt32(CEP_HTTP_MAX_HEADERS)
        cep_http_reset(head)
        parser = head
        return head
    }

    /// Gives the parser back (its head was parsed, or the connection closed).
    func releaseParser() {
        guard let parser else { return }
        self.parser = nil
        context.headParsers.give(UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(parser), count: context.headParsers.byteCount))
    }

    /// Whether part of a request head was parsed already.
    var headInProgress: Bool {
        guard let parser else { return false }
        return parser.pointee.scanned != 0 || parser.pointee.state != 0
    }

    /// Registers with the loop and starts reading.
    func start() throws(SystemError) {
        if context.tls != nil { state = .handshaking }
        interest = [.readable, .readHangup]
        registration = try loop.register(fd: fd, events: interest, handler: self)
        context.metrics.connectionsOpened()
        context.census.opened()
        setDeadline(MonotonicClock.now() + context.requestHeadTimeoutNanoseconds)
    }

    // MARK: Events

    func handleEvents(_ events: EventLoop.Events) {
        if state == .closed { return }
        if events.contains(.error) || (events.contains(.hangup) && !events.contains(.readable)) {
            close()
            return
        }
        if state == .handshaking { return continueHandshake() }
        if events.contains(.writable) && state == .writing {
            flush()
            if state == .closed { return }
        }
        if events.contains(.writable) && state == .readingHead && tls?.readWantsWrite == true {
            return readRequests()
        }
        if events.contains(.readable) && state == .readingHead {
            readRequests()
        } else if state == .awaitingResponse, case .reading = requestBody, events.contains(.readable) || events.contains(.readHangup) {
            readRequestBody()
        } else if events.contains(.readHangup) && state != .readingHead {
            // The client half-closed while we answer: finish this response,
            // then close instead of keeping the connection alive.
            peerHalfClosed = true
            updateInterest()
        }
    }

    // MARK: Interest, timeouts and closing

    func updateInterest() {
        switch state {
        case .handshaking, .readingHead: setInterest([.readable, .readHangup])
        case .awaitingResponse:
            if case .reading = requestBody {
                setInterest([.readable, .readHangup])
            } else {
                setInterest(peerHalfClosed ? [] : [.readHangup])
            }
        case .writing:
            // Level-triggered: a half-close must stop being watched, or it
            // would wake the loop forever while this response is written.
            if peerHalfClosed { setInterest(interest.subtracting(.readHangup)) }
        case .closed: break
        }
    }

    func setInterest(_ events: EventLoop.Events) {
        guard events != interest, let registration else { return }
        interest = events
        loop.modify(fd: fd, registration: registration, events: events)
    }

    /// Closes the connection (idempotent). With `reset`, the close sends a
    /// TCP reset, so a client cannot mistake a cut-short body for a whole one.
    func close(reset: Bool = false) {
        guard state != .closed else { return }
        if state == .writing && logStatus != 0 {
            logRequest()  // a response cut short still gets its log line
        }
        state = .closed
        pendingAnswer?.cancel()
        pendingAnswer = nil
        failRequestBody("the connection closed")
        if case .streamed(let stream, _) = body { stream.detach() }
        body = .empty
        if let registration {
            loop.deregister(fd: fd, registration: registration)
            self.registration = nil
        }
        if let tls {
            if !reset && tls.established { cep_tls_close_notify(tls.pointer) }
            self.tls = nil
        }
        if reset { _ = cep_close_reset(fd) } else { _ = cep_close(fd) }
        buffer.release()
        releaseParser()
        context.metrics.connectionsClosed()
        context.census.closed()
        context.openConnections[ObjectIdentifier(self)] = nil
    }

    /// Waiting for a request with none of it read: closing it now loses nothing.
    var isIdleBetweenRequests: Bool {
        state == .readingHead && buffer.isEmpty && !headInProgress
    }

    func closeWithReset() {
        close(reset: true)
    }
}
