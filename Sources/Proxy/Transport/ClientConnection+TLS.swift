import CEpoll
import Glibc
import ProxyHTTP
import ProxySystem

/// TLS on a client connection: the non-blocking handshake, the answer to plain HTTP on a
/// TLS port, and the byte paths that go through OpenSSL (reads, writes, file bodies).
/// A plain connection never enters this file's functions except through one `tls == nil`
/// test in each byte path.
extension ClientConnection {
    /// The first readable event of a connection on a TLS listen address, and each one until
    /// the handshake is done. The request-head deadline armed at accept covers the
    /// handshake: a client that connects and sends nothing is closed when it passes.
    func continueHandshake() {
        guard let tlsContext = context.tls else { return close() }
        if tls == nil {
            // Look before handing the socket to OpenSSL: a TLS record starts with 0x16
            // (handshake); anything else is a client that speaks plain HTTP to this port.
            var first: UInt8 = 0
            let n = cep_peek(fd, &first, 1)
            if n == -Int(EAGAIN) { return }
            if n <= 0 { return close() }
            if first != 0x16 { return refusePlainHTTP(startingWith: first) }
            guard let pointer = tlsContext.makeSession(fd: fd) else { return close() }
            tls = ClientTLSSession(pointer: pointer)
        }
        guard let tls else { return }
        switch cep_tls_handshake(tls.pointer) {
        case 0:
            tls.established = true
            tls.kernelSends = tlsContext.kernelOffersKTLS && cep_tls_ktls_send(tls.pointer) == 1
            state = .readingHead
            setInterest([.readable, .readHangup])
            // The request may have arrived with the client's Finished and already sit,
            // decrypted or not, in OpenSSL's buffer: the socket would not say so again.
            readRequests()
        case CEP_TLS_WANT_READ:
            setInterest([.readable, .readHangup])
        case CEP_TLS_WANT_WRITE:
            setInterest([.writable])
        default:
            context.logger.info("TLS handshake failed", metadata: ["client": "\(peer)", "error": "\(tlsErrorText())"])
            close()
        }
    }

    /// Plain HTTP on a TLS port (nginx: "The plain HTTP request was sent to HTTPS port"):
    /// a readable 400 and a close, never a hang. A first byte that is no HTTP token character
    /// (a binary probe) is closed at once.
    private func refusePlainHTTP(startingWith first: UInt8) {
        guard (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) else { return close() }
        // The request head is read (and dropped), so that the close after the answer sends
        // a FIN rather than a reset that could destroy the answer before the client reads it.
        state = .readingHead
        _ = buffer.read(from: fd)
        buffer.consume(buffer.count)
        requestID &+= 1
        requestStart = MonotonicClock.now()
        logMethod = .other
        logTarget = "-"
        keepAlive = false
        let message = Array("400 Bad Request: this port speaks TLS; use https:// (a plain HTTP request was sent to a TLS port)\n".utf8)
        startResponse(ResponseHead(status: 400, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                      body: .bytes(message), headOnly: false, outcome: nil)
    }

    /// One TLS read into the request buffer, with `ReadBuffer.read(from:)`'s results:
    /// > 0 bytes, 0 end of stream, `-EAGAIN` nothing yet, another negative value on error.
    func readTLS(_ tls: ClientTLSSession) -> Int {
        let n = buffer.read(tls: tls.pointer)
        if n == Int(CEP_TLS_WANT_WRITE) {
            // OpenSSL must send before it can read on: watch writability until it could.
            tls.readWantsWrite = true
            setInterest([.readable, .writable, .readHangup])
            return -Int(EAGAIN)
        }
        if tls.readWantsWrite {
            tls.readWantsWrite = false
            setInterest([.readable, .readHangup])
        }
        if n == Int(CEP_TLS_WANT_READ) { return -Int(EAGAIN) }
        return n < 0 ? -Int(EIO) : n
    }

    /// Whether OpenSSL holds request bytes the socket will not signal again.
    var tlsHasBufferedBytes: Bool {
        guard let tls else { return false }
        return cep_tls_pending(tls.pointer) > 0
    }

    /// Writes through the connection's transport: > 0 bytes, `-EAGAIN` when the socket (or
    /// OpenSSL, which must then be called again with the same bytes) is full, another
    /// negative value on error.
    @inline(__always)
    func transportWrite(_ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        guard let tls else { return cep_write(fd, pointer, count) }
        let n = cep_tls_write(tls.pointer, pointer, count)
        if n > 0 { return n }
        if n == CEP_TLS_WANT_WRITE || n == CEP_TLS_WANT_READ { return -Int(EAGAIN) }
        return -Int(EIO)
    }

    /// Bytes `[offset, limit)` of `file` over TLS, at most one chunk of the loop's buffer per
    /// call: `SSL_sendfile` when the kernel encrypts (kTLS), else `pread` into the loop's
    /// buffer and `SSL_write`. After `-EAGAIN` the next call starts at the same offset and
    /// reads at least as many bytes, which is what OpenSSL needs to repeat a write (the
    /// bytes are the file's, so re-reading them gives the same bytes at a new address,
    /// allowed by `SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER`).
    /// - Returns: bytes sent (> 0), `-EAGAIN`, or another negative value on error.
    func sendTLS(_ tls: ClientTLSSession, file: SharedFile, offset: Int64, upTo limit: Int64) -> Int {
        if tls.socketFull {
            // The last call filled the socket after sending part of its chunk: reading the
            // next chunk now would only copy bytes that cannot go yet.
            tls.socketFull = false
            return -Int(EAGAIN)
        }
        let chunk = context.tlsFileChunk
        let count = Int(min(limit - offset, Int64(chunk.count)))
        if tls.kernelSends {
            let n = cep_tls_sendfile(tls.pointer, file.descriptor, offset, count)
            if n > 0 { return n }
            return n == CEP_TLS_WANT_WRITE ? -Int(EAGAIN) : -Int(EIO)
        }
        let read = cep_pread(file.descriptor, chunk.baseAddress, count, offset)
        guard read > 0 else { return -Int(EIO) }
        // Partial writes return after each record; keep writing this chunk while the socket
        // takes it, so the file is read once per chunk rather than once per record.
        var written = 0
        while written < read {
            let n = transportWrite(chunk.baseAddress! + written, read - written)
            if n <= 0 {
                guard written > 0 else { return n }
                tls.socketFull = n == -Int(EAGAIN)
                return written
            }
            written += n
        }
        return written
    }

    /// The reason of the last TLS failure on this connection, for the log.
    func tlsErrorText() -> String {
        var message = [CChar](repeating: 0, count: 256)
        cep_tls_last_error(tls?.pointer, &message, message.count)
        return String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
