import CEpoll
import Glibc

/// An error of `cistern warm`'s HTTP client: connecting, TLS, a timeout, or a response it
/// cannot read. `description` is the operator-facing reason.
public struct MirrorTransportError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// One TCP connection to a mirror origin, plain or TLS (OpenSSL through CEpoll), used by one
/// thread at a time. The socket is non-blocking; every read and write waits with `poll` for
/// at most `timeout` of silence, so a stalled mirror ends the request instead of the job.
///
/// Confinement: one thread at a time (a warm worker). Not Sendable.
final class MirrorConnection {
    /// The origin it is connected to.
    let origin: MirrorOrigin
    private let descriptor: Int32
    private let session: OpaquePointer?
    private let timeoutMilliseconds: Int32
    private var isClosed = false

    /// Resolves the host, connects (trying each address), and for https completes the TLS
    /// handshake, verifying the certificate against `tlsContext`'s trust.
    /// - Throws: ``MirrorTransportError`` naming the origin and the cause.
    init(origin: MirrorOrigin, tlsContext: MirrorTLSContext?, timeout: Duration) throws(MirrorTransportError) {
        self.origin = origin
        let (seconds, attoseconds) = timeout.components
        timeoutMilliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        descriptor = try Self.connect(origin, timeoutMilliseconds: timeoutMilliseconds)
        guard origin.isTLS else {
            session = nil
            return
        }
        guard let tlsContext, let session = cep_tls_new(tlsContext.context, descriptor, origin.host) else {
            _ = cep_close(descriptor)
            throw MirrorTransportError("\(origin): could not start TLS")
        }
        self.session = session
        while true {
            let result = cep_tls_handshake(session)
            if result == 0 { break }
            if result == CEP_TLS_WANT_READ || result == CEP_TLS_WANT_WRITE,
               wait(for: result == CEP_TLS_WANT_READ ? Int16(POLLIN) : Int16(POLLOUT)) {
                continue
            }
            let reason = result == CEP_TLS_ERROR ? tlsError() : "no TLS handshake within the timeout"
            close()
            throw MirrorTransportError("\(origin): TLS handshake failed: \(reason)")
        }
    }

    deinit { close() }

    /// Writes every byte of `bytes`.
    /// - Throws: ``MirrorTransportError`` when the peer is gone or stays unwritable.
    func write(_ bytes: [UInt8]) throws(MirrorTransportError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                return session.map { cep_tls_write($0, rest.baseAddress, rest.count) }
                    ?? cep_write(descriptor, rest.baseAddress, rest.count)
            }
            if written > 0 {
                offset += written
            } else if try !retry(written, while: "sending") {
                throw MirrorTransportError("\(origin): connection closed while sending")
            }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means the peer closed the connection.
    /// - Throws: ``MirrorTransportError`` on a reset, a TLS error or `timeout` of silence.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(MirrorTransportError) -> Int {
        while true {
            let count = session.map { cep_tls_read($0, buffer.baseAddress, buffer.count) }
                ?? cep_read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            guard try retry(count, while: "receiving") else { return 0 }
        }
    }

    /// Whether an idle kept-alive connection may carry another request (nothing pending,
    /// not closed by the peer).
    var isReusable: Bool { !isClosed && cep_socket_idle_clean(descriptor) == 1 }

    /// Closes the socket (idempotent).
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let session { cep_tls_free(session) }
        _ = cep_close(descriptor)
    }

    /// After a failed read or write: waits when the socket or TLS wants it and returns true
    /// to try again; false when the peer closed; throws on errors and timeouts.
    private func retry(_ result: Int, while doing: String) throws(MirrorTransportError) -> Bool {
        let events: Int16
        if session != nil {
            switch Int32(result) {
            case CEP_TLS_WANT_READ: events = Int16(POLLIN)
            case CEP_TLS_WANT_WRITE: events = Int16(POLLOUT)
            default: throw MirrorTransportError("\(origin): TLS error while \(doing): \(tlsError())")
            }
        } else {
            switch Int32(-result) {
            case EAGAIN: events = doing == "sending" ? Int16(POLLOUT) : Int16(POLLIN)
            case EPIPE, ECONNRESET: return false
            default: throw MirrorTransportError("\(origin): \(doing): \(String(cString: strerror(Int32(-result))))")
            }
        }
        guard wait(for: events) else {
            throw MirrorTransportError("\(origin): no progress \(doing) for \(timeoutMilliseconds) ms")
        }
        return true
    }

    /// Polls for `events` for at most the timeout; true when ready (or in error, which the
    /// next call reports).
    private func wait(for events: Int16) -> Bool {
        var descriptorEvents = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            let ready = poll(&descriptorEvents, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }

    private func tlsError() -> String {
        var text = [CChar](repeating: 0, count: 256)
        cep_tls_last_error(session, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A connected non-blocking socket to the first address of `origin.host` that answers.
    private static func connect(_ origin: MirrorOrigin, timeoutMilliseconds: Int32) throws(MirrorTransportError) -> Int32 {
        var addresses = [UInt8](repeating: 0, count: 16 * 8)
        var families = [Int32](repeating: 0, count: 8)
        let count = cep_resolve(origin.host, &addresses, &families, 8)
        guard count > 0 else { throw MirrorTransportError("\(origin): cannot resolve \(origin.host)") }
        var lastError = "refused"
        for index in 0..<Int(count) {
            let descriptor = Array(addresses[(16 * index)..<(16 * index + 16)]).withUnsafeBufferPointer {
                cep_tcp_connect(families[index], $0.baseAddress, origin.port)
            }
            guard descriptor >= 0 else {
                lastError = String(cString: strerror(-descriptor))
                continue
            }
            var events = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            var ready: Int32
            repeat { ready = poll(&events, 1, timeoutMilliseconds) } while ready < 0 && errno == EINTR
            let status = ready > 0 ? cep_socket_error(descriptor) : -ETIMEDOUT
            if status == 0 { return descriptor }
            lastError = String(cString: strerror(-status))
            _ = cep_close(descriptor)
        }
        throw MirrorTransportError("\(origin): cannot connect: \(lastError)")
    }
}

/// The TLS client context for https mirrors: the system's trust store, or the PEM
/// certificates of `--ca-file`. Safe to share: OpenSSL contexts are thread-safe once built.
public final class MirrorTLSContext: @unchecked Sendable {
    // Safe because `context` is never changed after init, and OpenSSL allows an SSL_CTX
    // to create sessions on several threads at once.
    let context: OpaquePointer

    /// - Parameter caFile: a PEM file of trusted certificates; nil for the system store.
    /// - Throws: ``MirrorTransportError`` when the file cannot be loaded.
    public init(caFile: String?) throws(MirrorTransportError) {
        guard let context = cep_tls_client_ctx_new(caFile, 1) else {
            throw MirrorTransportError(caFile.map { "cannot load CA certificates from \($0)" } ?? "cannot load the system's CA certificates")
        }
        self.context = context
    }

    deinit { cep_tls_ctx_free(context) }
}
