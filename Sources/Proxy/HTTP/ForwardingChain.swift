/// What a client request says about the way it came, carried to the upstream requests made
/// for it: the `X-Forwarded-For` value to send (the trusted chain plus the client's address)
/// and the incoming `Via` chain that this node's own entry is appended to.
///
/// Built by the client connection (which knows the peer and the trusted proxies), read where
/// an upstream request is made. Pure value; any thread.
public struct ForwardingChain: Sendable, Equatable {
    /// The `X-Forwarded-For` value for upstream requests: the client's own list (only when
    /// the direct peer is a trusted proxy) with the peer's address appended; "" for requests
    /// no client made (prefetch).
    public var forwardedFor: String
    /// The request's `Via` field values joined (RFC 9110 section 7.6.3); "" when it had none.
    public var via: String

    /// - Parameters:
    ///   - forwardedFor: the `X-Forwarded-For` value to send ("" = none).
    ///   - via: the incoming `Via` chain ("" = none).
    public init(forwardedFor: String, via: String = "") {
        self.forwardedFor = forwardedFor
        self.via = via
    }

    /// A request no client made (prefetch): no `X-Forwarded-For`, and only this node in `Via`.
    public static let none = ForwardingChain(forwardedFor: "")
}
