import CEpoll
import Foundation

/// A response of the mirror: status, header fields and, for a non-2xx status, the start of
/// the body (at most 64 KiB, for the OCI error message).
public struct MirrorResponse: Sendable {
    /// The status code (RFC 9110 section 15).
    public let status: Int
    /// Header fields in the order received; names as sent.
    public let headers: [(name: String, value: String)]
    /// The first 64 KiB of a non-2xx body; empty for 2xx (that body went to the caller).
    public var errorBody: [UInt8] = []

    /// The first value of the field `name` (case-insensitive), nil when absent.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A small blocking HTTP/1.1 client for `cistern warm` (RFC 9112): GET only, keep-alive
/// connections (one per origin), redirects followed (at most 5, `Location` absolute or
/// origin-relative), bodies framed by `Content-Length`, chunked coding or close, and
/// streamed to the caller in pieces of at most 64 KiB: a layer is never held whole.
///
/// A kept-alive connection the server closed meanwhile is noticed when the request gets no
/// byte back; the request is then sent once more on a new connection (GET is idempotent).
///
/// Confinement: one thread at a time (each warm worker has its own). Not Sendable.
public final class MirrorClient {
    /// Redirects followed before giving up.
    static let maximumRedirects = 5
    /// Bytes of a non-2xx body kept for the error message.
    static let errorBodyLimit = 65_536

    private let origin: MirrorOrigin
    private let tlsContext: MirrorTLSContext?
    private let timeout: Duration
    private let userAgent: String
    private var connections: [MirrorOrigin: MirrorConnection] = [:]
    private var buffer = [UInt8](repeating: 0, count: 65_536)
    private let fields = UnsafeMutablePointer<cep_http_field>.allocate(capacity: Int(CEP_HTTP_MAX_HEADERS))

    /// - Parameters:
    ///   - origin: where paths are sent.
    ///   - tlsContext: trust for https origins (also those redirected to); nil allows http only.
    ///   - timeout: longest silence while connecting, sending or receiving.
    ///   - userAgent: the `User-Agent` value.
    public init(origin: MirrorOrigin, tlsContext: MirrorTLSContext?, timeout: Duration, userAgent: String) {
        self.origin = origin
        self.tlsContext = tlsContext
        self.timeout = timeout
        self.userAgent = userAgent
    }

    deinit {
        for connection in connections.values { connection.close() }
        fields.deallocate()
    }

    /// Sends `GET path` (path and query, beginning with `/`) and follows redirects.
    /// - Parameters:
    ///   - accept: the `Accept` value, one comma-joined line; nil sends none.
    ///   - body: receives a 2xx body piece by piece, in order.
    /// - Returns: the final response (the body of a non-2xx one in `errorBody`).
    /// - Throws: ``MirrorTransportError`` for connection, TLS, framing or redirect failures,
    ///   or what `body` throws.
    public func get(_ path: String, accept: String?, body: (UnsafeRawBufferPointer) throws -> Void) throws -> MirrorResponse {
        var target = (origin: origin, path: path)
        for _ in 0...Self.maximumRedirects {
            let response = try exchange(target.origin, target.path, accept: accept, body: body)
            guard [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location") else {
                return response
            }
            target = try Self.resolve(location, against: target.origin)
        }
        throw MirrorTransportError("more than \(Self.maximumRedirects) redirects for \(path)")
    }

    /// `location` as an origin and a path: an absolute URL, or a path on `origin`.
    static func resolve(_ location: String, against origin: MirrorOrigin) throws(MirrorTransportError) -> (origin: MirrorOrigin, path: String) {
        if location.hasPrefix("/") && !location.hasPrefix("//") { return (origin, location) }
        guard let components = URLComponents(string: location), components.scheme != nil else {
            throw MirrorTransportError("unusable redirect Location \(location)")
        }
        let target: MirrorOrigin
        do {
            target = try MirrorOrigin(parsing: location)
        } catch {
            throw MirrorTransportError("unusable redirect Location \(location): \(error)")
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return (target, components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path)
    }

    /// One request and its response on a kept-alive or new connection to `origin`.
    private func exchange(_ origin: MirrorOrigin, _ path: String, accept: String?,
                          body: (UnsafeRawBufferPointer) throws -> Void) throws -> MirrorResponse {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(origin.hostHeader)\r\nUser-Agent: \(userAgent)\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        request += "\r\n"
        let requestBytes = Array(request.utf8)
        if let kept = connections[origin] {
            connections[origin] = nil
            if kept.isReusable {
                receivedResponseBytes = false
                do {
                    try kept.write(requestBytes)
                    if let response = try readResponse(kept, body: body) { return response }
                } catch let error as MirrorTransportError where !receivedResponseBytes {
                    _ = error  // the server closed the idle connection: retry on a new one
                }
            }
            kept.close()
        }
        if origin.isTLS && tlsContext == nil { throw MirrorTransportError("\(origin): https needs a TLS context") }
        let connection = try MirrorConnection(origin: origin, tlsContext: tlsContext, timeout: timeout)
        try connection.write(requestBytes)
        guard let response = try readResponse(connection, body: body) else {
            throw MirrorTransportError("\(origin): connection closed before a response to GET \(path)")
        }
        return response
    }

    /// Whether the response being read has produced any byte yet.
    private var receivedResponseBytes = false

    /// Reads one response head and its body; nil when the connection closed before any byte.
    /// Keeps the connection for the next request when the framing allows it.
    private func readResponse(_ connection: MirrorConnection, body: (UnsafeRawBufferPointer) throws -> Void) throws -> MirrorResponse? {
        receivedResponseBytes = false
        var head = cep_http_head()
        var filled = 0
        var headLength = 0
        while true {
            head.fields = fields
            head.fields_cap = UInt32(CEP_HTTP_MAX_HEADERS)
            if filled == buffer.count {
                guard buffer.count < Int(CEP_HTTP_MAX_HEAD) * 2 else { throw MirrorTransportError("\(connection.origin): response head too large") }
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let count = try buffer.withUnsafeMutableBytes { bytes in
                try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
            }
            if count == 0 {
                if filled == 0 { return nil }
                throw MirrorTransportError("\(connection.origin): connection closed inside a response head")
            }
            receivedResponseBytes = true
            filled += count
            let parsed = buffer.withUnsafeBytes { cep_http_parse_response(&head, $0.baseAddress!.assumingMemoryBound(to: CChar.self), filled) }
            if parsed == CEP_HTTP_INVALID { throw MirrorTransportError("\(connection.origin): malformed response head") }
            if parsed > 0 {
                guard (100..<200).contains(head.status) else {
                    headLength = Int(parsed)
                    break
                }
                // An interim response: drop it and read the final one.
                buffer.replaceSubrange(0..<Int(parsed), with: [])
                buffer.append(contentsOf: repeatElement(0, count: Int(parsed)))
                filled -= Int(parsed)
                cep_http_reset(&head)
            }
        }
        var response = MirrorResponse(status: Int(head.status), headers: headerFields(head))
        var reader = MirrorBodyReader(head: head, pending: filled - headLength)
        buffer.withUnsafeMutableBytes { bytes in
            bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + headLength, byteCount: filled - headLength)
        }
        var errorBody: [UInt8] = []
        let reusable = try reader.read(from: connection, buffer: &buffer) { piece in
            if response.isSuccess {
                try body(piece)
            } else if errorBody.count < Self.errorBodyLimit {
                errorBody.append(contentsOf: piece.prefix(Self.errorBodyLimit - errorBody.count))
            }
        }
        response.errorBody = errorBody
        if reusable { connections[connection.origin] = connection } else { connection.close() }
        return response
    }

    private func headerFields(_ head: cep_http_head) -> [(name: String, value: String)] {
        buffer.withUnsafeBytes { bytes in
            (0..<Int(head.field_count)).map { index in
                let field = fields[index]
                let name = bytes[Int(field.name_off)..<Int(field.name_off + field.name_len)]
                let value = bytes[Int(field.value_off)..<Int(field.value_off + field.value_len)]
                return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            }
        }
    }
}
