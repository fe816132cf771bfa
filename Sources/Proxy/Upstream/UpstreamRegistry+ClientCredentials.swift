import ProxyRegistry

/// What one exchange presents to an upstream and where its bearer tokens are kept: the
/// registry's own credential, or under `credentials: client` (issue 17 item 3) the client's.
package struct UpstreamPresentation: Sendable {
    /// `Basic <base64(user:password)>` answering a Basic challenge and sent to the token
    /// service; nil = anonymous.
    package let basicAuthorization: String?
    /// Prefixed to a token scope to key the token and denied-scope tables: empty for the
    /// registry's own credential, `<fingerprint> ` for a client's, `anonymous ` for a client
    /// without one. Scopes hold no space, so keys of different credentials never meet.
    package let tokenKeyPrefix: String

    /// The key of `scope`'s token for this credential.
    package func tokenKey(_ scope: String) -> String { tokenKeyPrefix + scope }
}

extension UpstreamRegistry {
    /// The credential an exchange made for `client` presents: the registry's own unless it
    /// takes client credentials; then the client's (nil: anonymous), never another's.
    package func presentation(for client: ClientCredential?) -> UpstreamPresentation {
        guard takesClientCredentials else { return UpstreamPresentation(basicAuthorization: basicAuthorization, tokenKeyPrefix: "") }
        guard let client else { return UpstreamPresentation(basicAuthorization: nil, tokenKeyPrefix: "anonymous ") }
        return UpstreamPresentation(basicAuthorization: client.basicAuthorization, tokenKeyPrefix: client.fingerprint + " ")
    }
}
