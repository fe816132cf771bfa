import CEpoll
import Logging
import ProxyConfig
import ProxyHTTP
import ProxyLogging
import ProxyLoop
import ProxyMetrics
import ProxySystem

/// What one loop's client connections share: the loop, the client timeouts, reusable
/// buffers, the open connections (for shutdown and drain) and where requests are reported.
/// Transport state only: registry policy reaches a connection through the
/// `RequestHandler` that `makeHandler` creates for it.
///
/// `@unchecked Sendable`: `openConnections`, `accessLogBuffer`, `responseBuffer`, the buffer pools,
/// `tlsFileChunk`, `accessLog`, the timeouts and `isDraining` are loop-confined (touched
/// only on `loop`'s thread, by connections of that loop and by tasks other threads send
/// through `loop.execute`, which is how a reload (``apply(timeouts:accessLog:)``) and a drain
/// (``beginDraining()``) reach them); everything else is immutable and Sendable.
package final class ConnectionContext: @unchecked Sendable {
    package let loop: EventLoop
    let metrics: Metrics
    let logger: Logger
    /// Whether each response gets an access-log line on standard error (live: a reload sets it).
    var accessLog: Bool
    /// Every loop's open client connections, counted for the drain.
    let census: ConnectionCensus
    /// True once the server drains: every response says `Connection: close` and the
    /// connection closes after it; idle keep-alive connections were closed.
    private(set) var isDraining = false
    /// Peers whose `X-Forwarded-For` is kept (``Configuration/trustedProxies``).
    let trustedProxies: [AddressRange]
    /// Creates the registry policy for a newly accepted connection.
    let makeHandler: () -> any RequestHandler
    /// Client connections open on this loop (for shutdown).
    var openConnections: [ObjectIdentifier: ClientConnection] = [:]
    /// Reused for every access-log line of this loop (no allocation per request).
    var accessLogBuffer: [UInt8] = []
    /// How access-log lines are written; set before the loop runs, then only read (on `loop`).
    package var accessLogFormat = AccessLogFormat.text
    /// `Via: 1.1 <node-id> (cistern)\r\n`, added to every response head (RFC 9110 section 7.6.3),
    /// so a downstream mirror learns which node ids stand behind its upstream URL (loop
    /// detection); empty on the admin address. Set before the loop runs, then only read.
    package var responseViaField: [UInt8] = []
    /// Makes the ids of requests that bring none. Loop-confined, like the buffers.
    var requestIDs = RequestID.Generator()
    /// Read buffers for client connections: borrowed while request bytes are in flight,
    /// returned when the connection goes idle (``ReadBuffer``).
    let readBuffers = BufferPool(byteCount: ConnectionContext.readBufferByteCount, keptCount: 256)
    /// Request-head parsers (the parser state, then its field array at `headFieldsOffset`),
    /// borrowed while a head is parsed.
    let headParsers = BufferPool(byteCount: ConnectionContext.headFieldsOffset + Int(CEP_HTTP_MAX_HEADERS) * MemoryLayout<cep_http_field>.stride,
                                 keptCount: 64)
    /// Where a pooled parser's field array starts (bytes from the block's start).
    static let headFieldsOffset = (MemoryLayout<cep_http_head>.stride + 15) & ~15
    /// Bytes of a pooled read buffer: a registry request head with four manifest types in
    /// `Accept` and a bearer token fits; a larger head grows a private buffer.
    static let readBufferByteCount = 4096
    /// A response buffer (head and small body) handed from one finished response to the
    /// next, so small responses allocate nothing; see `ClientConnection.releasePending`.
    var responseBuffer: [UInt8] = []
    /// The client timeouts in nanoseconds, converted once (and at each reload): every
    /// request reads them several times.
    var requestHeadTimeoutNanoseconds: Int64 = 0
    var idleKeepAliveTimeoutNanoseconds: Int64 = 0
    var clientWriteStallTimeoutNanoseconds: Int64 = 0
    /// The certificate clients are served when the listen address speaks TLS; nil = plain HTTP.
    let tls: TLSServerContext?
    /// Where file bodies are read to be encrypted (TLS without kTLS): one buffer per loop,
    /// filled and written within one flush, so connections never see each other's bytes.
    /// Allocated on the first TLS file body; `tlsFileChunkByteCount` bytes.
    var tlsFileChunk: UnsafeMutableRawBufferPointer {
        if let tlsFileChunkStorage { return tlsFileChunkStorage }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: ConnectionContext.tlsFileChunkByteCount, alignment: 64)
        tlsFileChunkStorage = chunk
        return chunk
    }
    private var tlsFileChunkStorage: UnsafeMutableRawBufferPointer?
    /// Bytes read from a file per `pread` for TLS (4 TLS records of 16 KiB).
    static let tlsFileChunkByteCount = 64 * 1024

    /// - Parameters:
    ///   - timeouts: the client-side timeouts (request head, idle keep-alive, write stall).
    ///   - census: the process's connection count (shared by every loop's context).
    ///   - tls: the certificate when the listen address speaks TLS only.
    ///   - trustedProxies: peers whose `X-Forwarded-For` is kept.
    ///   - makeHandler: called on `loop` once per accepted connection.
    package init(loop: EventLoop, timeouts: Timeouts, accessLog: Bool, metrics: Metrics, logger: Logger,
                 census: ConnectionCensus = ConnectionCensus(), tls: TLSServerContext? = nil, trustedProxies: [AddressRange] = [],
                 makeHandler: @escaping () -> any RequestHandler) {
        self.loop = loop
        self.tls = tls
        self.metrics = metrics
        self.logger = logger
        self.accessLog = accessLog
        self.census = census
        self.trustedProxies = trustedProxies
        self.makeHandler = makeHandler
        apply(timeouts: timeouts, accessLog: accessLog)
    }

    /// Takes reloaded client settings: the next deadline set and the next access-log line
    /// use them (a deadline already armed keeps its time). Call on `loop`.
    package func apply(timeouts: Timeouts, accessLog: Bool) {
        self.accessLog = accessLog
        requestHeadTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.requestHead)
        idleKeepAliveTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.idleKeepAlive)
        clientWriteStallTimeoutNanoseconds = MonotonicClock.nanoseconds(timeouts.clientWriteStall)
    }

    deinit {
        tlsFileChunkStorage?.deallocate()
    }

    /// Closes every client connection of this loop. Call on `loop`.
    package func closeAll() {
        for connection in openConnections.values { connection.close() }
    }

    /// Starts (or continues) draining this loop's connections: from now on each response
    /// says `Connection: close` and its connection closes after it, and every connection
    /// idle between requests (no byte of a next request read) is closed now. Called when the
    /// drain starts and again when the listener closes (connections accepted meanwhile).
    /// Call on `loop`.
    package func beginDraining() {
        isDraining = true
        for connection in openConnections.values where connection.isIdleBetweenRequests { connection.close() }
    }
}
