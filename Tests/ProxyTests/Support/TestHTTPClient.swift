import Foundation

/// A small blocking HTTP/1.1 client for tests: one TCP connection to 127.0.0.1, requests
/// written exactly as given, responses read with their framing checked and every early end
/// (FIN, RST, timeout, garbage) reported rather than hidden.
///
/// It can also misbehave on purpose: read at a fixed rate (`Options.readBytesPerSecond`),
/// stop after K body bytes (`Options.stopAfterBodyByteCount`), shrink its receive buffer,
/// send raw bytes, or reset the connection. Use it against the fake upstream or against
/// Cistern.
///
/// ```
/// let client = try TestHTTPClient(port: upstream.port)
/// defer { client.close() }
/// let response = try client.request("GET", "/v2/", headers: [("Accept", "application/json")])
/// #expect(response.statusCode == 200 && response.isComplete)
/// ```
///
/// Confinement: one thread at a time (not `Sendable`). Keep-alive: call `request` again on
/// the same client while `canReuseConnection` is true. Every wait is bounded by
/// `Options.timeout`.
final class TestHTTPClient {
    /// How to read one response.
    struct Options: Sendable {
        /// Bound on reading the whole response, from the call until the ending.
        var timeout: Duration = .seconds(10)
        /// Receive at most about this many bytes per second (in slices of 1/20 s), head
        /// included: a slow client. Nil reads as fast as bytes arrive.
        var readBytesPerSecond: Int?
        /// Stop reading once this many body bytes have arrived (ending `.stoppedByClient`;
        /// the body holds exactly this many). The connection is then unusable: close or
        /// reset it.
        var stopAfterBodyByteCount: Int?
        /// The largest head accepted before giving up with `.malformed("head too large")`.
        var maximumHeadByteCount = 4 << 20

        /// Options with the given fields.
        init(
            timeout: Duration = .seconds(10), readBytesPerSecond: Int? = nil, stopAfterBodyByteCount: Int? = nil,
            maximumHeadByteCount: Int = 4 << 20
        ) {
            self.timeout = timeout
            self.readBytesPerSecond = readBytesPerSecond
            self.stopAfterBodyByteCount = stopAfterBodyByteCount
            self.maximumHeadByteCount = maximumHeadByteCount
        }
    }

    /// The server's port on 127.0.0.1.
    let port: UInt16
    /// The connection (owned: closed by `close()`, `reset()` or deinit).
    let socket: TestSocket
    /// Bytes received but not yet consumed by a response (keep-alive, or extra bytes).
    var pending: [UInt8] = []
    /// False once the connection is closed, reset, stopped mid-message, or broken.
    private(set) var canReuseConnection = true
    private var isClosed = false

    /// Connects to 127.0.0.1:`port`. `receiveBufferByteCount` sets SO_RCVBUF first (small
    /// values make a slow reader push back on the server sooner).
    /// - Throws: `TestSocketError.system` (e.g. ECONNREFUSED).
    init(port: UInt16, receiveBufferByteCount: Int? = nil) throws {
        self.port = port
        socket = try TestSocket.connectToLoopback(port: port, receiveBufferByteCount: receiveBufferByteCount)
        socket.setSendTimeout(.seconds(10))
    }

    deinit {
        close()
    }

    /// Writes a request: `method SP target SP HTTP/1.1`, then `headers` in the given order and
    /// case, adding `Host: 127.0.0.1:<port>` unless a Host field is given and Content-Length
    /// when `body` is non-empty and none is given; then the body.
    /// - Throws: `TestSocketError.reset` when the peer is gone, `.timedOut`, `.system`.
    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("host") { head += "Host: 127.0.0.1:\(port)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty, !names.contains("content-length") { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try sendRaw(Array(head.utf8) + body)
    }

    /// Writes `bytes` as they are (for malformed or pipelined requests).
    /// - Throws: as `send`.
    func sendRaw(_ bytes: [UInt8]) throws {
        try socket.sendAll(bytes)
    }

    /// Sends a request and reads its response. If the server resets while the request is
    /// being written, the response (or the reset) is still read and returned.
    /// - Throws: `TestSocketError` other than `.reset` from sending.
    func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
        options: Options = Options()
    ) throws -> TestHTTPResponse {
        do {
            try send(method, target, headers: headers, body: body)
        } catch TestSocketError.reset {
            // Read what the server said before it went away.
        }
        return readResponse(method: method, options: options)
    }

    /// Reads the bytes that follow the last response until the server closes the connection
    /// or `timeout` passes (e.g. bytes sent beyond Content-Length). Returns them with
    /// `.complete` for a clean close, `.reset`, `.timedOut` or `.failed`.
    func readRemaining(timeout: Duration) -> (bytes: [UInt8], ending: TestHTTPResponse.Ending) {
        let deadline = ContinuousClock.now + timeout
        var bytes = pending
        pending.removeAll()
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return (bytes, .timedOut) }
            switch socket.receive(maxByteCount: 65_536, timeout: remaining) {
            case .bytes(let more): bytes += more
            case .endOfStream:
                canReuseConnection = false
                return (bytes, .complete)
            case .reset:
                canReuseConnection = false
                return (bytes, .reset)
            case .timedOut: return (bytes, .timedOut)
            case .failed(let code):
                canReuseConnection = false
                return (bytes, .failed(code))
            }
        }
    }

    /// Closes the connection (FIN). Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        canReuseConnection = false
        socket.close()
    }

    /// Aborts the connection with a TCP RST (SO_LINGER 0, then close), as a client that
    /// crashes or gives up does. Idempotent with `close()`.
    func reset() {
        guard !isClosed else { return }
        socket.setLingerZero()
        close()
    }

    /// Marks the connection unusable for another request.
    func markNotReusable() {
        canReuseConnection = false
    }

    /// The value of an `Authorization` field for Basic credentials (RFC 7617):
    /// `Basic base64(username:password)`.
    static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Opens a connection, sends one request, reads the response, and closes.
    /// - Throws: `TestSocketError` from connecting or sending.
    static func fetch(
        port: UInt16, method: String = "GET", _ target: String, headers: [(String, String)] = [],
        options: Options = Options()
    ) throws -> TestHTTPResponse {
        let client = try TestHTTPClient(port: port)
        defer { client.close() }
        return try client.request(method, target, headers: headers, options: options)
    }
}
