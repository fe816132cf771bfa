import CEpoll
import Foundation

/// A small blocking HTTPS/1.1 client for tests, on Cistern's own OpenSSL client shim
/// (`cep_tls_*`): one TLS connection to 127.0.0.1, verified against a given CA (or not),
/// offering ALPN when asked. Every wait is bounded by SO_RCVTIMEO/SO_SNDTIMEO.
///
/// Confinement: one thread at a time.
final class TestTLSClient {
    /// A failed connection or handshake, with OpenSSL's reason.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A response: status, header fields (names lower-cased) and the body by Content-Length.
    struct Response {
        var statusCode = 0
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        /// Whether the whole body (Content-Length bytes) arrived.
        var isComplete = false
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    let socket: TestSocket
    private let context: OpaquePointer
    private let session: OpaquePointer
    private var pending: [UInt8] = []
    private var isClosed = false

    /// Connects and completes the handshake.
    /// - Parameters:
    ///   - caFile: the CA to verify the server with; nil skips verification.
    ///   - alpn: protocols to offer (nil offers none).
    /// - Throws: `Failure` naming OpenSSL's reason when the handshake fails; `TestSocketError`.
    init(port: UInt16, caFile: String?, alpn: [String]? = ["http/1.1"], timeout: Duration = .seconds(10)) throws {
        socket = try TestSocket.connectToLoopback(port: port)
        socket.setSendTimeout(timeout)
        Self.setReceiveTimeout(socket, timeout)
        guard let context = cep_tls_client_ctx_new(caFile, caFile == nil ? 0 : 1) else {
            socket.close()
            throw Failure(description: "cannot make a client context")
        }
        self.context = context
        guard let session = cep_tls_new(context, socket.descriptor, "127.0.0.1") else {
            cep_tls_ctx_free(context)
            socket.close()
            throw Failure(description: "cannot make a session")
        }
        self.session = session
        if let alpn {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            _ = cep_tls_set_alpn(session, wire, wire.count)
        }
        let rc = cep_tls_handshake(session)
        if rc != 0 {
            let reason = lastError()
            close()
            throw Failure(description: "handshake failed (\(rc)): \(reason)")
        }
    }

    deinit { close() }

    /// The negotiated version (0x0303 TLS 1.2, 0x0304 TLS 1.3).
    var version: Int32 { cep_tls_version(session) }
    /// The ALPN protocol the server selected ("" when none).
    var alpn: String {
        var buffer = [CChar](repeating: 0, count: 64)
        cep_tls_alpn(session, &buffer, buffer.count)
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    /// SHA-256 of the server's leaf certificate, hex.
    var peerCertificateSHA256: String {
        var digest = [UInt8](repeating: 0, count: 32)
        guard cep_tls_peer_certificate_sha256(session, &digest) == 0 else { return "" }
        return digest.map { String(format: "%02x", $0) }.joined()
    }
    /// Certificates the server sent (leaf plus intermediates).
    var peerChainLength: Int { Int(cep_tls_peer_chain_length(session)) }

    /// Sends a GET (or `method`) with Host and reads the response.
    func request(_ target: String, method: String = "GET", headers: [(String, String)] = []) throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try send(Array((head + "\r\n").utf8))
        return readResponse(isHead: method == "HEAD")
    }

    /// Writes all of `bytes` through TLS.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { cep_tls_write(session, $0.baseAddress! + offset, $0.count - offset) }
            guard n > 0 else { throw Failure(description: "write failed (\(n)): \(lastError())") }
            offset += n
        }
    }

    /// Reads one response; a short body leaves `isComplete` false.
    func readResponse(isHead: Bool = false) -> Response {
        var response = Response()
        while true {
            if let end = Self.find([13, 10, 13, 10], in: pending) {
                let lines = String(decoding: pending[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
                pending.removeFirst(end + 4)
                let status = lines[0].split(separator: " ")
                response.statusCode = status.count > 1 ? Int(status[1]) ?? 0 : 0
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    response.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                break
            }
            guard receiveMore() else { return response }
        }
        let length = isHead ? 0 : Int(response.headers["content-length"] ?? "0") ?? 0
        while pending.count < length, receiveMore() {}
        let take = min(length, pending.count)
        response.body = Array(pending[0..<take])
        pending.removeFirst(take)
        response.isComplete = take == length
        return response
    }

    /// Reads once into `pending`; false at end of stream, error or timeout.
    func receiveMore() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let n = buffer.withUnsafeMutableBytes { cep_tls_read(session, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        pending += buffer[0..<n]
        return true
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        cep_tls_free(session)
        cep_tls_ctx_free(context)
        socket.close()
    }

    private func lastError() -> String {
        var message = [CChar](repeating: 0, count: 256)
        cep_tls_last_error(session, &message, message.count)
        return String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func setReceiveTimeout(_ socket: TestSocket, _ timeout: Duration) {
        let milliseconds = TestTime.milliseconds(timeout)
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
