import CEpoll
import Glibc
import ProxyHTTP
import ProxySystem

/// The current request's body, as the connection sees it.
enum RequestBodyState {
    /// No body, or it was read to its end.
    case none
    /// A body no handler asked for yet; `keepAlive` is what the head asked for, granted once
    /// the body was read to its end.
    case unread(RequestBodyDecoder, keepAlive: Bool)
    /// Being delivered to `sink`.
    case reading(RequestBodyDecoder, keepAlive: Bool, sink: any RequestBodySink)
}

/// Reading a request body (a push) and delivering it to the handler's `RequestBodySink`:
/// the bytes already read behind the head first, then from the socket, one buffer at a
/// time, each passed to the sink before the next read (the sink's disk write is the
/// back-pressure). A stalled body is dropped at the request-head timeout, measured from the
/// last bytes received.
extension ClientConnection {
    func readBody(_ id: UInt64, into sink: any RequestBodySink) {
        guard id == requestID, state == .awaitingResponse else {
            sink.ended(.failed(reason: "the request is no longer current", malformed: false))
            return
        }
        switch requestBody {
        case .none:
            sink.ended(.complete)
        case .reading:
            sink.ended(.failed(reason: "the body is already being read", malformed: false))
        case .unread(let decoder, let keepAlive):
            requestBody = .reading(decoder, keepAlive: keepAlive, sink: sink)
            setDeadline(MonotonicClock.now() + context.requestHeadTimeoutNanoseconds)
            if deliverBufferedBody() { readRequestBody() }
        }
    }

    /// Reads and delivers body bytes until the socket has none (at most `bodyReadBudget`
    /// bytes per call, so one uploader cannot keep the loop to itself).
    func readRequestBody() {
        var budget = Self.bodyReadBudget
        while state == .awaitingResponse, case .reading = requestBody {
            if budget <= 0 {
                if tlsHasBufferedBytes {
                    // Bytes OpenSSL decrypted already: the socket will not say so again.
                    loop.deferToEndOfTurn { [weak self] in self?.readRequestBody() }
                    return
                }
                // Level-triggered: the socket still says readable next turn.
                setInterest([.readable, .readHangup])
                return
            }
            let n = tls.map { readTLS($0) } ?? buffer.read(from: fd)
            if n > 0 {
                budget -= n
                setDeadline(MonotonicClock.now() + context.requestHeadTimeoutNanoseconds)
                if !deliverBufferedBody() { return }
                continue
            }
            if n == -Int(EAGAIN) {
                // A TLS read that must first write has asked for writability too (readTLS).
                if tls?.readWantsWrite != true { setInterest([.readable, .readHangup]) }
                return
            }
            let reason = n == 0 ? "the client closed before the request body ended" : "reading the request body failed"
            failRequestBody(reason)
            close()
            return
        }
    }

    /// Passes the buffered body bytes to the sink. Returns false when reading must stop (the
    /// body ended one way or another).
    private func deliverBufferedBody() -> Bool {
        guard case .reading(var decoder, let askedKeepAlive, let sink) = requestBody else { return false }
        if buffer.isEmpty && !decoder.isEmpty { return true }
        let step = buffer.withMutableReadableBytes { decoder.decode($0) }
        requestBody = .reading(decoder, keepAlive: askedKeepAlive, sink: sink)
        var accepted = true
        if step.bodyCount > 0 {
            // The sink never answers from here, so the buffer cannot change under it.
            accepted = buffer.withReadableBytes { sink.received(UnsafeRawBufferPointer(rebasing: $0[0..<step.bodyCount])) }
        }
        buffer.consume(step.bodyCount)
        switch step.status {
        case .complete:
            buffer.keepFirst(step.keptCount)
            requestBody = .none
            // The whole body is read: the connection may carry another request (RFC 9112
            // section 9.3), unless the answer was refused for other reasons.
            keepAlive = askedKeepAlive && !peerHalfClosed
            setDeadline(0)
            updateInterest()
            sink.ended(accepted ? .complete : .stopped)
            return false
        case .invalid:
            requestBody = .none
            setDeadline(0)
            updateInterest()
            sink.ended(.failed(reason: "malformed chunked request body", malformed: true))
            return false
        case .needMore:
            buffer.keepFirst(0)
            if !accepted {
                requestBody = .none
                setDeadline(0)
                updateInterest()
                sink.ended(.stopped)
                return false
            }
            return true
        }
    }

    /// Tells a sink still reading that its body will not end (idempotent).
    func failRequestBody(_ reason: String) {
        guard case .reading(_, _, let sink) = requestBody else {
            requestBody = .none
            return
        }
        requestBody = .none
        sink.ended(.failed(reason: reason, malformed: false))
    }

    /// Body bytes one connection reads per readable event before yielding to the others.
    static let bodyReadBudget = 1 << 20
}
