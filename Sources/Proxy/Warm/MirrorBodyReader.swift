import CEpoll

/// Reads one response body off a ``MirrorConnection`` with the framing its head chose
/// (RFC 9112 section 6.3): none for 1xx, 204 and 304; the chunked coding (section 7.1,
/// decoded in place by `cep_chunked_decode`); `Content-Length` bytes; or everything until
/// the server closes. Body bytes go to the caller piece by piece, never gathered.
struct MirrorBodyReader {
    private enum Framing {
        case empty
        case chunked
        case length(Int64)
        case untilClose
    }

    private let framing: Framing
    private let keepsAlive: Bool
    /// Body bytes already read with the head, at the start of the buffer.
    private let pending: Int

    /// - Parameters:
    ///   - head: the parsed response head.
    ///   - pending: how many bytes after the head are already in the buffer (moved to its start).
    init(head: cep_http_head, pending: Int) {
        self.pending = pending
        if head.status == 204 || head.status == 304 {
            framing = .empty
        } else if head.flags & UInt32(CEP_HTTP_F_CHUNKED) != 0 {
            framing = .chunked
        } else if head.content_length >= 0 {
            framing = .length(head.content_length)
        } else {
            framing = .untilClose
        }
        let closes = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) != 0
        keepsAlive = !closes && (head.version_minor == 1 || head.flags & UInt32(CEP_HTTP_F_CONN_KEEPALIVE) != 0)
    }

    /// Reads the body, handing each piece to `deliver`.
    /// - Returns: whether the connection may carry another request (framed body, no extra
    ///   bytes after it, no `Connection: close`).
    /// - Throws: ``MirrorTransportError`` for a body cut short or malformed chunk framing,
    ///   or what `deliver` throws.
    mutating func read(from connection: MirrorConnection, buffer: inout [UInt8],
                       deliver: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        switch framing {
        case .empty:
            return keepsAlive && pending == 0
        case .length(let length):
            var remaining = length
            let first = Int(min(Int64(pending), remaining))
            try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<first])) }
            remaining -= Int64(first)
            let extra = pending > first
            while remaining > 0 {
                let room = Int(min(Int64(buffer.count), remaining))
                let count = try buffer.withUnsafeMutableBytes {
                    try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<room]))
                }
                guard count > 0 else {
                    throw MirrorTransportError("\(connection.origin): body ended \(remaining) bytes short of Content-Length \(length)")
                }
                try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                remaining -= Int64(count)
            }
            return keepsAlive && !extra
        case .chunked:
            var decoder = cep_chunked()
            var count = pending
            while true {
                if count > 0 {
                    var decoded = count
                    let result = buffer.withUnsafeMutableBytes {
                        cep_chunked_decode(&decoder, $0.baseAddress!.assumingMemoryBound(to: CChar.self), &decoded)
                    }
                    if result == CEP_HTTP_INVALID { throw MirrorTransportError("\(connection.origin): malformed chunked body") }
                    try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<decoded])) }
                    if result >= 0 { return keepsAlive && result == 0 }
                }
                count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
                guard count > 0 else { throw MirrorTransportError("\(connection.origin): chunked body cut short") }
            }
        case .untilClose:
            try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<pending])) }
            while true {
                let count = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
                if count == 0 { return false }
                try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
    }
}
