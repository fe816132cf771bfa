/// What an upstream request carries about the client request it was made for: its
/// `X-Forwarded-For` chain (the client's own list with its address appended) and its
/// `X-Request-ID`, so the upstream's logs name the same request as Cistern's. A request that
/// serves several clients (a coalesced fill, a shared HEAD) carries the first one's.
package struct ClientTrace: Sendable {
    /// The `X-Forwarded-For` value; empty for requests no client made.
    package var forwardedFor: String
    /// The client request's id (`RequestID` text); nil for requests no client made.
    package var requestID: String?

    package init(forwardedFor: String, requestID: String?) {
        self.forwardedFor = forwardedFor
        self.requestID = requestID
    }

    /// For requests no client made (prefetch): no fields.
    package static let none = ClientTrace(forwardedFor: "", requestID: nil)

    /// The header fields for the upstream request: `X-Forwarded-For` and `X-Request-ID`,
    /// each only when known.
    package var upstreamFields: [(name: String, value: String)] {
        var fields = UpstreamRequest.forwardedFor(forwardedFor)
        if let requestID { fields.append(("X-Request-ID", requestID)) }
        return fields
    }
}
