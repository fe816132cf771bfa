import CEpoll
import Glibc
import ProxyHTTP
import ProxySystem

/// Reading and parsing request heads (keep-alive and pipelining), then handing each to
/// the `RequestHandler`.
extension ClientConnection {
    /// One read per readable event: the registration is level-triggered,
    /// so bytes still in the socket wake the loop again, and a keep-alive
    /// request costs no second `read` that would only say EAGAIN.
    func readRequests() {
        guard state == .readingHead else { return }
        let n: Int
        if let tls { n = readTLS(tls) } else { n = buffer.read(from: fd) }
        if n > 0 {
            // OpenSSL returns one record at most per read and may hold more decrypted
            // bytes than the buffer took: the socket will not say so again.
            if processBufferedRequests() && state == .readingHead && tlsHasBufferedBytes { deferRead() }
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

    /// Reads again at the end of this loop turn (bytes OpenSSL holds, or pipelined requests).
    func deferRead() {
        loop.deferToEndOfTurn { [weak self] in
            guard let self, self.state == .readingHead else { return }
            if self.processBufferedRequests() { self.readRequests() }
        }
    }

    /// Parses and dispatches buffered requests while reading heads. Returns
    /// false when the connection closed.
    @discardableResult
    func processBufferedRequests() -> Bool {
        while state == .readingHead && !buffer.isEmpty {
            if !headInProgress {
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
            let parser = borrowParser()
            let rc = buffer.withReadableBytes { bytes in
                cep_http_parse_request(parser, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
            }
            if rc == CEP_HTTP_PARTIAL {
                if buffer.isFull { rejectHead(status: 431) }
                return state != .closed
            }
            if rc < 0 {
                let status = ClientConnection.status(for: parser.pointee.error)
                releaseParser()
                rejectHead(status: status)
                return false
            }
            let head = buffer.withReadableBytes { RequestHead(parsed: parser.pointee, buffer: $0) }
            buffer.consume(Int(rc))
            releaseParser()
            buffer.releaseIfEmpty()
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

    func rejectHead(status: Int) {
        requestID &+= 1
        assignRequestID(received: nil)
        logMethod = .other
        logTarget = "-"
        keepAlive = false
        let message = Array("\(ResponseHead.reasonPhrase(status))\n".utf8)
        startResponse(ResponseHead(status: status, fields: [("Content-Type", "text/plain; charset=utf-8")]),
                      body: .bytes(message), headOnly: false, outcome: nil)
    }

    func begin(_ head: RequestHead) {
        guard head.hasValidHost else {
            // RFC 9112 section 3.2: no Host in HTTP/1.1, several, or an invalid one.
            rejectHead(status: 400)
            return
        }
        requestID &+= 1
        assignRequestID(received: head.requestID)
        if requestStart == 0 { requestStart = MonotonicClock.now() }
        logMethod = head.method
        logTarget = head.target
        requestForwardedFor = head.forwardedFor
        requestVia = head.via
        // A body is read only when the handler asks for it (a push); a request whose
        // body stays unread is answered and the connection closed, so its body is never
        // taken for a request. Reading the whole body grants keep-alive again.
        keepAlive = head.keepAlive && !head.hasBody
        requestBody = head.hasBody ? .unread(RequestBodyDecoder(contentLength: head.contentLength, chunked: head.chunked),
                                             keepAlive: head.keepAlive) : .none
        state = .awaitingResponse
        setDeadline(0)
        handler.handle(head, responder: self)
        // Hits are answered (and usually written) inside `handle`, with the
        // interest left as it was; only a request still waiting (upstream,
        // fill) changes it. That saves two epoll_ctl calls per hit.
        if state == .awaitingResponse { updateInterest() }
    }
}
