extension Configuration {
    /// The names of the remote registries whose exchanges present each client's own
    /// credential (`credentials: client`, issue 17 item 3): the token endpoint seals a
    /// client's Basic credential inside Cistern's token when the scope's repository routes
    /// to one of these.
    public var clientCredentialRegistryNames: Set<String> {
        Set(upstreams.filter { $0.credentials == .client }.map(\.name))
    }

    /// Reads a remote's `credentials` (`configured` or `client`) and checks
    /// `client_access_ttl` against it.
    /// - Parameter ownCredentials: whether the remote also sets `username` or `password_file`.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` naming
    ///   `<path>.credentials` for another value, or for `client` beside the remote's own
    ///   credentials (a contradiction: whose would be sent?); naming
    ///   `<path>.client_access_ttl` when it is given without `credentials: client`.
    static func credentialMode(_ text: String?, clientAccessTTL: Duration?, ownCredentials: Bool,
                               reader: YAMLMappingReader) throws -> UpstreamCredentials {
        var mode = UpstreamCredentials.configured
        if let text {
            guard let parsed = UpstreamCredentials(rawValue: text) else {
                throw ConfigurationError.invalidValue(key: reader.keyPath("credentials"), value: text, reason: "expected configured or client")
            }
            mode = parsed
        }
        if mode == .client && ownCredentials {
            throw ConfigurationError.invalidValue(
                key: reader.keyPath("credentials"), value: "client",
                reason: "a remote that presents each client's own credentials takes no username or password_file of its own")
        }
        if let clientAccessTTL, mode != .client {
            throw ConfigurationError.invalidValue(
                key: reader.keyPath("client_access_ttl"), value: clientAccessTTL.configurationText,
                reason: "only a remote with credentials: client confirms each client's access")
        }
        return mode
    }
}
