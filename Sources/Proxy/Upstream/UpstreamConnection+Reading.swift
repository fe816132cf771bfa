import CEpoll
import Glibc
import ProxySystem

/// Reading a response: the head through the C parser, then the body framed by
/// Content-Length, chunked coding or close (RFC 9112 section 6.3).
extension UpstreamConnection {
    // MARK: Reading

    /// Bytes read per loop turn before yielding to the loop's other events.
    static let readBudget = 4 << 20

    func readAvailable() {
        // Drain what is there, up to a budget so that a fast upstream cannot
        // keep the loop from its clients. Plain sockets stay readable (level
        // triggered); TLS may hold decrypted bytes epoll cannot see, so it
        // resumes at the end of this loop turn.
        var budget = UpstreamConnection.readBudget
        while (state == .awaitingHead || state == .readingBody) && !bodyPaused {
            if budget <= 0 {
                if tls != nil {
                    loop.deferToEndOfTurn { [weak self] in self?.readAvailable() }
                }
                return
            }
            let room = UpstreamConnection.bufferCapacity - buffered
            if room == 0 {
                fail(.malformedResponse("response head larger than \(UpstreamConnection.bufferCapacity) bytes"))
                return
            }
            let n = transportRead(buffer + buffered, room)
            if n > 0 {
                receivedAnything = true
                budget -= n
                buffered += n
                touch()
                if state == .awaitingHead {
                    parseHead()
                } else {
                    deliverBody()
                }
            } else if n == 0 {
                endOfStream()
                return
            } else if n == -Int(EAGAIN) {
                return
            } else if n == -Int(ECONNRESET) {
                retryIfStaleOrFail(.closedEarly(receivedBytes: receivedBodyBytes))
                return
            } else {
                fail(.closedEarly(receivedBytes: receivedBodyBytes))
                return
            }
        }
    }

    func parseHead() {
        let rc = cep_http_parse_response(&head, buffer.assumingMemoryBound(to: CChar.self), buffered)
        if rc == CEP_HTTP_PARTIAL { return }
        if rc < 0 {
            fail(.malformedResponse("bad response head from \(origin) (error \(head.error.rawValue))"))
            return
        }
        let headLength = Int(rc)
        let status = Int(head.status)
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(Int(head.field_count))
        for i in 0..<Int(head.field_count) {
            let field = fieldStorage[i]
            let name = String(decoding: UnsafeRawBufferPointer(start: buffer + Int(field.name_off), count: Int(field.name_len)), as: UTF8.self).lowercased()
            let value = String(decoding: UnsafeRawBufferPointer(start: buffer + Int(field.value_off), count: Int(field.value_len)), as: UTF8.self)
            fields.append((name, value))
        }
        // Interim 1xx responses are skipped (RFC 9110 section 15.2).
        if status >= 100 && status < 200 {
            shiftBuffer(consumed: headLength)
            cep_http_reset(&head)
            if buffered > 0 { parseHead() }
            return
        }
        let chunked = head.flags & UInt32(CEP_HTTP_F_CHUNKED) != 0
        let close = head.flags & UInt32(CEP_HTTP_F_CONN_CLOSE) != 0 || head.version_minor == 0
        reusable = !close
        var contentLength: Int64? = head.content_length >= 0 ? head.content_length : nil
        if request?.method == .head || status == 204 || status == 304 {
            framing = .none
        } else if chunked {
            framing = .chunked
            chunkDecoder = cep_chunked()
            contentLength = nil
        } else if let length = contentLength {
            framing = .length(remaining: length)
        } else {
            framing = .untilClose
            reusable = false
        }
        shiftBuffer(consumed: headLength)
        state = .readingBody
        rateWindowStart = MonotonicClock.now()
        rateWindowBytes = 0
        handler?.upstreamReceivedHead(UpstreamResponseHead(status: status, fields: fields, contentLength: contentLength))
        guard state == .readingBody else { return }  // the handler may have cancelled
        // Content-Length: 0 ends the message with its head (RFC 9112 section 6.3): no body
        // byte will arrive to trigger the end, so end it now. Redirects and 401s often have
        // an empty body, and the exchange only follows them once the response ended.
        if case .length(remaining: 0) = framing { framing = .none }
        if case .none = framing {
            if buffered > 0 { reusable = false }
            finish()
            return
        }
        if buffered > 0 && !bodyPaused { deliverBody() }
    }

    func shiftBuffer(consumed: Int) {
        let rest = buffered - consumed
        if rest > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: rest) }
        buffered = rest
    }

    func deliverBody() {
        switch framing {
        case .none:
            buffered = 0
        case .length(let remaining):
            let take = Int(min(Int64(buffered), remaining))
            if buffered > take { reusable = false }  // more than Content-Length: never reuse
            buffered = 0
            emit(count: take)
            guard state == .readingBody else { return }
            let left = remaining - Int64(take)
            framing = .length(remaining: left)
            if left == 0 { finish() }
        case .untilClose:
            let take = buffered
            buffered = 0
            emit(count: take)
        case .chunked:
            var length = buffered
            let rc = cep_chunked_decode(&chunkDecoder, buffer.assumingMemoryBound(to: CChar.self), &length)
            buffered = 0
            if rc == CEP_HTTP_INVALID {
                fail(.malformedResponse("bad chunked framing from \(origin)"))
                return
            }
            emit(count: length)
            guard state == .readingBody else { return }
            if rc >= 0 {
                if rc > 0 { reusable = false }
                finish()
            }
        }
    }

    func emit(count: Int) {
        guard count > 0 else { return }
        receivedBodyBytes += Int64(count)
        rateWindowBytes += Int64(count)
        handler?.upstreamReceivedBody(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    func endOfStream() {
        switch state {
        case .readingBody:
            if case .untilClose = framing {
                reusable = false
                finish()
            } else {
                fail(.closedEarly(receivedBytes: receivedBodyBytes))
            }
        default:
            retryIfStaleOrFail(.closedEarly(receivedBytes: 0))
        }
    }
}
