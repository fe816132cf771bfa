import CEpoll
import ProxyLogging
import ProxySystem

/// The access log line and request metrics of each response.
extension ClientConnection {
    /// Body bytes written to the client: what was written past the response head. A head
    /// cut short counts no body byte.
    var bodyBytesSent: Int64 { max(0, bytesSent - responseHeadByteCount) }

    /// Records the finished (or cut-short) response: metrics (body bytes included, also of a
    /// cut-short response) and one access-log line.
    func logRequest() {
        let elapsed = requestStart == 0 ? 0 : MonotonicClock.now() - requestStart
        context.metrics.bytesSentToClients(Int(bodyBytesSent))
        context.metrics.requestCompleted(kind: requestKind, status: logStatus)
        if let logOutcome { context.metrics.cacheOutcome(logOutcome) }
        if context.accessLog {
            let line = AccessLogLine(
                clientAddress: peer, method: logMethod.token, path: logTarget, status: logStatus,
                bytesSent: Int(bodyBytesSent), duration: .nanoseconds(elapsed), cacheOutcome: logOutcome, upstreamName: logUpstream,
                endedAtUnixNanoseconds: cep_realtime_ns(), requestID: logRequestID)
            // Formatted into a per-loop buffer, written by the log writer thread:
            // loops never wait on each other or on a stalled stderr.
            context.accessLogBuffer.removeAll(keepingCapacity: true)
            line.render(into: &context.accessLogBuffer, format: context.accessLogFormat)
            context.accessLogBuffer.append(0x0A)
            context.accessLogBuffer.withUnsafeBytes { LogWriter.standardError.enqueue($0) }
        }
        requestStart = 0
        bytesSent = 0
        responseHeadByteCount = 0
        logOutcome = nil
        logStatus = 0
        logUpstream = nil
        requestKind = .other
    }
}
