import CEpoll
import ProxyLogging
import ProxySystem

/// The access log line and request metrics of each response.
extension ClientConnection {
    /// Records the finished (or cut-short) response: metrics and one access-log line.
    func logRequest() {
        let elapsed = requestStart == 0 ? 0 : MonotonicClock.now() - requestStart
        context.metrics.requestCompleted(kind: requestKind, status: logStatus)
        if let logOutcome { context.metrics.cacheOutcome(logOutcome) }
        if context.accessLog {
            let line = AccessLogLine(
                clientAddress: peer, method: logMethod.token, path: logTarget, status: logStatus,
                bytesSent: Int(bytesSent), duration: .nanoseconds(elapsed), cacheOutcome: logOutcome, upstreamName: logUpstream,
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
        logOutcome = nil
        logStatus = 0
        logUpstream = nil
        requestKind = .other
    }
}
