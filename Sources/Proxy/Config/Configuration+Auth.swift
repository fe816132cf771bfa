import Yams

extension Configuration {
    /// The token key file in use: ``AuthConfiguration/tokenKeyFile`` or `<cache_dir>/token.key`.
    public var effectiveTokenKeyFile: String? {
        guard let auth else { return nil }
        if let file = auth.tokenKeyFile { return file }
        return (cacheDirectory.hasSuffix("/") ? String(cacheDirectory.dropLast()) : cacheDirectory) + "/token.key"
    }

    /// Reads the `auth:` section (see ``AuthConfiguration``).
    /// - Throws: ``ConfigurationError`` naming the key (`auth.token_ttl`).
    static func readAuth(_ reader: inout YAMLMappingReader, into configuration: inout Configuration) throws {
        guard let node = reader.node("auth") else { return }
        var section = try YAMLMappingReader(node, path: "auth")
        var auth = configuration.auth ?? AuthConfiguration()
        if let path = try section.string("htpasswd") { auth.htpasswd = path }
        if let path = try section.string("token_key_file") { auth.tokenKeyFile = path }
        if let ttl = try section.duration("token_ttl") { auth.tokenTTL = ttl }
        if let count = try section.int("max_failed_attempts") { auth.maxFailedAttempts = count }
        if let window = try section.duration("failed_attempts_window") { auth.failedAttemptsWindow = window }
        try section.rejectUnknownKeys()
        configuration.auth = auth
    }

    /// Checks `auth:` and that routes naming users or `authenticated` have it.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)``: `auth.token_ttl`
    ///   under a second (tokens carry whole seconds: a shorter one is expired when issued) or
    ///   over a day, `auth.max_failed_attempts` < 1, `auth.failed_attempts_window` ≤ 0,
    ///   `auth.htpasswd` / `auth.token_key_file` empty; `routes[i].pull` / `routes[i].push`
    ///   naming users or `authenticated` without `auth:`, or users without `auth.htpasswd`.
    func validateAuth() throws {
        if let auth {
            if auth.tokenTTL < .seconds(1) || auth.tokenTTL > .seconds(86_400) {
                throw ConfigurationError.invalidValue(key: "auth.token_ttl", value: auth.tokenTTL.configurationText,
                                                      reason: "must be at least 1s and at most 24h")
            }
            if auth.maxFailedAttempts < 1 {
                throw ConfigurationError.invalidValue(key: "auth.max_failed_attempts", value: "\(auth.maxFailedAttempts)", reason: "must be at least 1")
            }
            if auth.failedAttemptsWindow <= .zero {
                throw ConfigurationError.invalidValue(key: "auth.failed_attempts_window", value: auth.failedAttemptsWindow.configurationText,
                                                      reason: "must be greater than zero")
            }
            if auth.htpasswd?.isEmpty == true {
                throw ConfigurationError.invalidValue(key: "auth.htpasswd", value: "", reason: "must not be empty")
            }
            if auth.tokenKeyFile?.isEmpty == true {
                throw ConfigurationError.invalidValue(key: "auth.token_key_file", value: "", reason: "must not be empty")
            }
        }
        for (index, route) in routes.enumerated() {
            for (key, principals) in [("pull", route.pull), ("push", route.push)] where principals.needsAuthentication {
                if auth == nil {
                    throw ConfigurationError.invalidValue(key: "routes[\(index)].\(key)", value: principals.description,
                                                          reason: "needs client authentication: add an auth: section")
                }
                if case .users = principals, auth?.htpasswd == nil {
                    throw ConfigurationError.invalidValue(key: "routes[\(index)].\(key)", value: principals.description,
                                                          reason: "names users but auth.htpasswd is not set")
                }
            }
        }
    }

    /// The `auth:` lines of ``yamlText`` (none without authentication).
    var authYAMLLines: [String] {
        guard let auth else { return [] }
        var lines = ["auth:"]
        lines.append("  htpasswd: " + (auth.htpasswd.map(Self.quoted) ?? "~"))
        lines.append("  token_key_file: " + (auth.tokenKeyFile.map(Self.quoted) ?? "~") + "  # ~ = <cache_dir>/token.key")
        lines.append("  token_ttl: \(auth.tokenTTL.configurationText)")
        lines.append("  max_failed_attempts: \(auth.maxFailedAttempts)")
        lines.append("  failed_attempts_window: \(auth.failedAttemptsWindow.configurationText)")
        return lines
    }
}
