import ProxyTransport
import ProxyUpstream

extension ClientResponder {
    /// The `X-Forwarded-For` and `X-Request-ID` of upstream requests made for the request
    /// being answered.
    package var trace: ClientTrace {
        ClientTrace(forwardedFor: forwardedFor, requestID: requestIDText)
    }
}
