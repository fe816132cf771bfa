import ProxyTransport
import ProxyUpstream

extension ClientResponder {
    /// The `X-Forwarded-For`, `Via` and `X-Request-ID` of upstream requests made for the
    /// request being answered.
    package var trace: ClientTrace {
        let forwarding = self.forwarding
        return ClientTrace(forwardedFor: forwarding.forwardedFor, via: forwarding.via, requestID: requestIDText)
    }
}
