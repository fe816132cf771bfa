import ProxyHTTP

/// What every request to this upstream carries besides its own fields: the `?ns=` naming the
/// registry meant (when the upstream is a Cistern mirroring several), `X-Forwarded-For`
/// (unless turned off for it) and `Via` with this node appended (RFC 9110 section 7.6.3).
extension UpstreamRegistry {
    /// `basePath` + `apiPath` (`/v2/...`) with `query` (no leading `?`, may be empty) and,
    /// when ``namespace`` is set, `ns=NAME` appended.
    public func pathAndQuery(_ apiPath: String, query: String = "") -> String {
        var parameters = query
        if let namespace {
            if !parameters.isEmpty { parameters += "&" }
            parameters += "ns=" + TokenRequest.percentEncoded(namespace)
        }
        return basePath + apiPath + (parameters.isEmpty ? "" : "?" + parameters)
    }

    /// The `X-Forwarded-For` (when forwarded and known) and `Via` fields for a request made for
    /// `chain`; `nodeID` is this node's Via received-by.
    public func forwardingFields(_ chain: ForwardingChain, nodeID: String) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if forwardsClientAddress && !chain.forwardedFor.isEmpty { fields.append(("X-Forwarded-For", chain.forwardedFor)) }
        fields.append(("Via", ViaField.appending(chain.via, receivedBy: nodeID)))
        return fields
    }
}
