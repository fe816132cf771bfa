import CEpoll
import Glibc
import ProxyLoop
import ProxySystem

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
/// Concerns by file: this one starts an exchange and sends the request; `+Reading`
/// parses the head and frames the body; `+Completion` ends an exchange (pool, retry,
/// failure); `+Transport` reads and writes over TCP or TLS; `+Timeouts` watches stalls.
///
/// Confinement: loop-confined (its pool's loop).
final class UpstreamConnection: EventHandler {
    // Members are internal (not private) for the UpstreamConnection+*.swift extensions
    // (+Reading, +Completion, +Transport, +Timeouts); nothing else touches them.
    enum State {
        case fresh, resolving, connecting, tunnelling, handshaking, sending, awaitingHead, readingBody, idle, closed
    }

    enum BodyFraming {
        case none
        case length(remaining: Int64)
        case chunked
        case untilClose
    }

    let origin: Origin
    /// The HTTP proxy this connection goes through (`+Tunnel`); nil = straight to `origin`.
    let proxy: EgressProxy?
    unowned let pool: UpstreamPool
    var route: UpstreamPool.Route { UpstreamPool.Route(origin: origin, proxy: proxy) }
    var loop: EventLoop { pool.loop }

    var state = State.fresh
    var fd: Int32 = -1
    var registration: Registration?
    var tls: OpaquePointer?
    /// A TLS read reported WANT_WRITE and write interest was added for it; dropped again
    /// by the next read that gets further (see `transportRead`).
    var tlsReadWantsWrite = false
    /// The `CONNECT` request to the proxy and how much of it is written (`+Tunnel`).
    var tunnelBytes: [UInt8] = []
    var tunnelOffset = 0
    /// The handler asked for no more body bytes for now (`+Pause`).
    var bodyPaused = false
    var handler: UpstreamResponseHandler?
    var request: UpstreamRequest?
    var requestBytes: [UInt8] = []
    var requestOffset = 0
    var addresses: [ResolvedAddress] = []
    var addressIndex = 0

    static let bufferCapacity = 256 * 1024
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: UpstreamConnection.bufferCapacity, alignment: 16)
    var buffered = 0
    var head = cep_http_head()
    let fieldStorage = UnsafeMutablePointer<cep_http_field>.allocate(capacity: Int(CEP_HTTP_MAX_HEADERS))
    var chunkDecoder = cep_chunked()
    var framing = BodyFraming.none
    var reusable = false
    var receivedBodyBytes: Int64 = 0

    /// Whether this connection came from the pool (a close or reset by the
    /// peer before any response byte is then retried once on a fresh
    /// connection: the origin may have closed the idle connection as we
    /// reused it). A timeout is never retried: it would cost a second one.
    var reused = false
    var receivedAnything = false

    var deadline: Int64 = 0
    var armedDeadline: Int64 = 0
    var rateWindowStart: Int64 = 0
    var rateWindowBytes: Int64 = 0

    init(origin: Origin, proxy: EgressProxy? = nil, pool: UpstreamPool) {
        self.origin = origin
        self.proxy = proxy
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
        // Through a proxy, a plain request names its origin (absolute form); a TLS one is
        // inside the tunnel and is sent as to the origin itself.
        requestBytes = request.serialize(userAgent: pool.userAgent, proxy: origin.useTLS ? nil : proxy)
        requestOffset = 0
        receivedAnything = false
        receivedBodyBytes = 0
        buffered = 0
        bodyPaused = false
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
            pool.resolver.resolve(proxy?.host ?? origin.host, on: loop) { result in
                bound.value.resolved(result)
            }
        default:
            preconditionFailure("upstream connection started in state \(state)")
        }
    }

    func resolved(_ result: Result<[ResolvedAddress], UpstreamError>) {
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

    func connectNext(lastError: String) {
        closeSocket()
        guard addressIndex < addresses.count else {
            fail(.connect(proxy.map { "\(origin) through proxy \($0): \(lastError)" } ?? "\(origin): \(lastError)"))
            return
        }
        let address = addresses[addressIndex]
        addressIndex += 1
        let rc = address.bytes.withUnsafeBufferPointer { cep_tcp_connect(address.family, $0.baseAddress, proxy?.port ?? origin.port) }
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
            if proxy != nil && origin.useTLS {
                startTunnel()
            } else if origin.useTLS {
                startTLS()
            } else {
                state = .sending
                touch()
                sendRequest()
            }
        case .tunnelling:
            continueTunnel(events)
        case .handshaking:
            handshake()
        case .sending:
            if events.contains(.error) || events.contains(.hangup) {
                retryIfStaleOrFail(.connect("connection to \(origin) closed while sending"))
                return
            }
            sendRequest()
        case .awaitingHead, .readingBody:
            if bodyPaused {
                // Only errors and hang-ups are reported without interest.
                if events.contains(.error) || events.contains(.hangup) { fail(.closedEarly(receivedBytes: receivedBodyBytes)) }
                return
            }
            readAvailable()
        case .idle:
            // The origin closed the idle connection, or sent bytes it should not have.
            closeForGood()
        case .fresh, .resolving, .closed:
            break
        }
    }

    /// Starts the TLS session with the origin (directly, or inside a proxy's tunnel).
    func startTLS() {
        guard let session = cep_tls_new(pool.tlsContext(for: origin).pointer, fd, origin.host) else {
            fail(.tls("cannot create a TLS session for \(origin.host)"))
            return
        }
        tls = session
        state = .handshaking
        handshake()
    }

    func handshake() {
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

    func tlsErrorText() -> String {
        var message = [CChar](repeating: 0, count: 256)
        cep_tls_last_error(tls, &message, message.count)
        return String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func sendRequest() {
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
}
