extension UpstreamConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `name -> url` plus the options that are set, with the password shown only as
    /// `<redacted>`, so logging or dumping a configuration never leaks a secret.
    public var description: String {
        var text = "\(name) -> \(url)"
        if let username { text += " username=\(username)" }
        if password != nil { text += " password=<redacted>" }
        if insecureSkipTLSVerify { text += " insecure_skip_tls_verify=true" }
        if let caFile { text += " ca_file=\(caFile)" }
        if credentials == .client { text += " credentials=client client_access_ttl=\(clientAccessTTL)" }
        return text
    }

    /// Same as ``description``; used when a `Configuration` is printed or interpolated.
    public var debugDescription: String { description }

    /// The stored properties for `dump` and test-failure output, with the password redacted.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "url": url, "scheme": scheme, "host": host, "port": port,
            "username": username as Any, "password": (password == nil ? "nil" : "<redacted>") as Any,
            "insecureSkipTLSVerify": insecureSkipTLSVerify, "caFile": caFile as Any,
            "credentials": credentials, "clientAccessTTL": clientAccessTTL,
        ], displayStyle: .struct)
    }
}
