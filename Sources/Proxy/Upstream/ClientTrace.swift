import ProxyHTTP
import ProxyRegistry

/// What an upstream request carries about the client request it was made for: its
/// `X-Forwarded-For` chain (the client's own list, when trusted, with its address appended),
/// its `Via` chain (this node is appended to it: loop detection, RFC 9110 section 7.6.3) and its
/// `X-Request-ID`, so the upstream's logs name the same request as Cistern's. A request that
/// serves several clients (a coalesced fill, a shared HEAD) carries the first one's.
package struct ClientTrace: Sendable {
    /// The `X-Forwarded-For` value; empty for requests no client made.
    package var forwardedFor: String
    /// The client request's id (`RequestID` text); nil for requests no client made.
    package var requestID: String?
    /// The client request's `Via` values joined; empty when it had none.
    package var via: String
    /// The client's own credential, presented upstream only by a registry that takes client
    /// credentials (`credentials: client`, issue 17); nil = anonymous, and for requests no
    /// client made. Its description hides the password.
    package var credential: ClientCredential?

    package init(forwardedFor: String, via: String = "", requestID: String?, credential: ClientCredential? = nil) {
        self.forwardedFor = forwardedFor
        self.via = via
        self.requestID = requestID
        self.credential = credential
    }

    /// For requests no client made (prefetch): no fields.
    package static let none = ClientTrace(forwardedFor: "", requestID: nil)

    /// The header fields for a request to `upstream`: `X-Forwarded-For` (when known and the
    /// upstream takes it), `Via` with `nodeID` appended, and `X-Request-ID` when known.
    package func upstreamFields(for upstream: UpstreamRegistry, nodeID: String) -> [(name: String, value: String)] {
        var fields = upstream.forwardingFields(ForwardingChain(forwardedFor: forwardedFor, via: via), nodeID: nodeID)
        if let requestID { fields.append(("X-Request-ID", requestID)) }
        return fields
    }
}
