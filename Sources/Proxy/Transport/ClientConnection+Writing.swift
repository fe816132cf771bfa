import CEpoll
import Glibc
import ProxyHTTP
import ProxyLogging
import ProxyMetrics
import ProxySystem

/// Answering: the `ClientResponder` side the handler answers through, and the pump
/// that writes the head, then the body — `write` for bytes, `sendfile` for files, and
/// for a streamed body whatever segment it names — as fast as the socket takes it.
extension ClientConnection: ClientResponder, StreamedBodyConsumer {
    func respond(_ id: UInt64, head: ResponseHead, body: ResponseBody, headOnly: Bool, outcome: CacheOutcome?) {
        guard id == requestID, state == .awaitingResponse else {
            if case .streamed(let stream, _) = body { stream.detach() }
            return
        }
        startResponse(head, body: body, headOnly: headOnly, outcome: outcome)
    }

    func hold(_ id: UInt64, _ pending: PendingAnswer) {
        guard id == requestID, state == .awaitingResponse else {
            pending.cancel()
            return
        }
        pendingAnswer?.cancel()
        pendingAnswer = pending
    }

    func streamedBodyChanged() {
        if state == .writing, case .streamed = body { flush() }
    }

    func startResponse(_ head: ResponseHead, body: ResponseBody, headOnly: Bool, outcome: CacheOutcome?) {
        pendingAnswer?.cancel()
        pendingAnswer = nil
        logStatus = head.status
        logOutcome = outcome
        // While draining, the response says `Connection: close` (RFC 9112 section 9.6) and the
        // connection ends after it, so the client opens its next one elsewhere.
        if peerHalfClosed || context.isDraining { keepAlive = false }
        let declared: Int64? = head.status == 304 ? nil : body.length
        // The head goes into the loop's reusable buffer (see `releasePending`),
        // so a small response allocates nothing.
        swap(&pending, &context.responseBuffer)
        pending.removeAll(keepingCapacity: true)
        pending.reserveCapacity(512)
        head.serialize(contentLength: declared, keepAlive: keepAlive, appendingTo: &pending)
        appendRequestIDField(toHead: &pending)
        responseHeadByteCount = Int64(pending.count)
        pendingOffset = 0
        self.body = headOnly || head.status == 304 ? .empty : body
        switch self.body {
        case .bytes(let bytes):
            pending.append(contentsOf: bytes)
            self.body = .empty
        case .file(_, let offset, _):
            bodyOffset = offset
        case .streamed(let stream, _):
            stream.attach(self)
        case .empty:
            if case .streamed(let stream, _) = body { stream.detach() }  // a HEAD's or 304's
        case .declaredLength:
            assertionFailure("a declared length without a body only answers HEAD")
            self.body = .empty
        }
        state = .writing
        setDeadline(MonotonicClock.now() + context.clientWriteStallTimeoutNanoseconds)
        flush()
    }

    /// Writes as much of the response as the socket takes now.
    func flush() {
        // Fairness: one fast reader must not keep the loop to itself. After
        // `flushBudget` bytes the connection yields; its socket is still
        // writable, so the next epoll turn comes straight back to it after
        // everyone else's events.
        flushBudgetSpent = 0
        while state == .writing {
            if flushBudgetSpent >= ClientConnection.flushBudget {
                waitWritable()
                return
            }
            if pendingOffset < pending.count {
                let n = pending.withUnsafeBytes { raw in
                    transportWrite(raw.baseAddress! + pendingOffset, raw.count - pendingOffset)
                }
                if n > 0 {
                    pendingOffset += n
                    progressed(n)
                    continue
                }
                if n == -Int(EAGAIN) { return waitWritable() }
                return close()
            }
            switch body {
            case .empty:
                return finishResponse()
            case .file(let file, _, let end):
                if bodyOffset >= end { return finishResponse() }
                guard let sent = send(file: file, offset: &bodyOffset, upTo: end), sent > 0 else { return }
            case .streamed(let stream, _):
                if !flushStreamed(stream) { return }
            case .bytes, .declaredLength:
                preconditionFailure("bytes bodies are written with the head")
            }
        }
    }

    /// One step of a streamed body. Returns false when the flush must stop.
    private func flushStreamed(_ stream: StreamedBody) -> Bool {
        switch stream.nextSegment() {
        case .end:
            finishResponse()
            return false
        case .wait:
            // Nothing new yet: wait for the body, not the client.
            setInterest(peerHalfClosed ? [] : [.readHangup])
            setDeadline(0)
            return false
        case .abort(let reason):
            if let reason {
                context.logger.info("\(reason)", metadata: ["client": "\(peer)", "target": "\(LogRedaction.target(logTarget))"])
            }
            // Never complete-looking: close before the declared length.
            closeWithReset()
            return false
        case .file(let file, var offset, let end):
            guard let sent = send(file: file, offset: &offset, upTo: end) else { return false }
            stream.consumed(sent)
            return sent > 0
        case .bytes(let bytes):
            let n = transportWrite(bytes.baseAddress!, bytes.count)
            if n > 0 {
                stream.consumed(n)
                progressed(n)
                return true
            }
            if n == -Int(EAGAIN) || n == 0 {
                waitWritable()
                return false
            }
            close()
            return false
        }
    }

    /// sendfile from `file` at `offset` (advanced) up to `limit`. Returns the bytes sent,
    /// or nil when the flush must stop (the socket is full or the connection closed).
    private func send(file: SharedFile, offset: inout Int64, upTo limit: Int64) -> Int? {
        if let tls {
            let n = sendTLS(tls, file: file, offset: offset, upTo: limit)
            if n > 0 {
                offset += Int64(n)
                progressed(n)
                return n
            }
            if n == -Int(EAGAIN) {
                waitWritable()
                return nil
            }
            close()
            return nil
        }
        let count = Int(min(limit - offset, Int64(ClientConnection.flushBudget)))
        let before = offset
        let n = cep_sendfile(fd, file.descriptor, &offset, count)
        if n > 0 {
            progressed(Int(offset - before))
            return Int(offset - before)
        }
        if n == -Int(EAGAIN) {
            waitWritable()
            return nil
        }
        close()
        return nil
    }

    /// Bytes one connection may write per loop turn before yielding.
    static let flushBudget = 1 << 20

    private func progressed(_ n: Int) {
        flushBudgetSpent += n
        bytesSent += Int64(n)
        setDeadline(MonotonicClock.now() + context.clientWriteStallTimeoutNanoseconds)
    }

    private func waitWritable() {
        setInterest(peerHalfClosed ? [.writable] : [.writable, .readHangup])
    }

    private func finishResponse() {
        logRequest()
        if case .streamed(let stream, _) = body { stream.detach() }
        body = .empty
        releasePending()
        // Draining: also a response whose head went out (keep-alive) before the drain began.
        if !keepAlive || peerHalfClosed || context.isDraining {
            close()
            return
        }
        state = .readingHead
        // An idle connection keeps none of the last request's strings (a target or a
        // forwarded-for list can be long enough to live on the heap).
        logTarget = ""
        requestForwardedFor = nil
        requestVia = nil
        logRequestID = .generated(0)
        buffer.releaseIfEmpty()
        setInterest([.readable, .readHangup])
        let timeout = buffer.isEmpty ? context.idleKeepAliveTimeoutNanoseconds : context.requestHeadTimeoutNanoseconds
        setDeadline(MonotonicClock.now() + timeout)
        if !buffer.isEmpty || tlsHasBufferedBytes {
            // Pipelined requests already read (or decrypted by OpenSSL): answer them in a
            // later turn so one client cannot monopolise the loop.
            deferRead()
        }
    }

    /// Hands the written response buffer back to the loop for the next
    /// response (any connection), unless it grew past
    /// `reusedBufferCapacity` (a big manifest or /metrics): an idle
    /// connection keeps no buffer.
    func releasePending() {
        pending.removeAll(keepingCapacity: true)
        pendingOffset = 0
        if pending.capacity <= ClientConnection.reusedBufferCapacity && pending.capacity > context.responseBuffer.capacity {
            swap(&pending, &context.responseBuffer)
        }
        pending = []
    }

    /// Largest response buffer (bytes) kept for reuse by the loop.
    static let reusedBufferCapacity = 64 * 1024
}
