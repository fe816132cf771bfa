/// The `auth:` section (issue 17): client authentication with htpasswd users and short-lived
/// bearer tokens Cistern signs itself. Without it every client is anonymous and routes may
/// only say `anyone` or `nobody`.
///
/// ```yaml
/// auth:
///   htpasswd: /etc/cistern/htpasswd        # bcrypt entries (htpasswd -B); re-read on SIGHUP
///   token_key_file: /var/lib/cistern/token.key   # default <cache_dir>/token.key; created 0600
///   token_ttl: 5m                          # lifetime of an issued token
///   max_failed_attempts: 10                # per client address within the window, then 429
///   failed_attempts_window: 1m
/// ```
public struct AuthConfiguration: Sendable, Equatable {
    /// The htpasswd file (`user:$2y$…` per line); nil = no users: only `anyone`, `nobody`
    /// and `credentials: client` remotes can be used.
    public var htpasswd: String?
    /// The token signing key's file; nil = `<cache_dir>/token.key`. Fleet nodes share it.
    public var tokenKeyFile: String?
    /// How long an issued token is valid. Default 5 minutes.
    public var tokenTTL: Duration
    /// Failed credential checks one client address may make within ``failedAttemptsWindow``
    /// before it is answered 429. Default 10.
    public var maxFailedAttempts: Int
    /// The window failed attempts are counted over. Default 1 minute.
    public var failedAttemptsWindow: Duration

    /// The section with these keys; every default is the YAML default.
    public init(htpasswd: String? = nil, tokenKeyFile: String? = nil, tokenTTL: Duration = .seconds(300),
                maxFailedAttempts: Int = 10, failedAttemptsWindow: Duration = .seconds(60)) {
        self.htpasswd = htpasswd
        self.tokenKeyFile = tokenKeyFile
        self.tokenTTL = tokenTTL
        self.maxFailedAttempts = maxFailedAttempts
        self.failedAttemptsWindow = failedAttemptsWindow
    }
}
