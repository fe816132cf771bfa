/// One origin registry Cistern may pull through to, and how to reach and authenticate to it.
///
/// The set of upstreams is the allow-list for containerd's `?ns=` query parameter
/// (containerd hosts.toml mirror semantics): a request naming a registry that is not
/// listed here is refused rather than proxied anywhere.
///
/// `url` is parsed once, by the initializer, into ``scheme``, ``host`` and ``port``; it is
/// immutable so the three can never disagree with it.
public struct UpstreamConfiguration: Sendable, Equatable {
    /// The registry host as containerd's `ns` names it, e.g. `docker.io`, `ghcr.io`,
    /// `registry.example:5000`.
    public var name: String
    /// The registry's base URL, e.g. `https://registry-1.docker.io`; no path, query,
    /// fragment or credentials.
    public let url: String
    /// Parsed from `url`.
    public let scheme: UpstreamScheme
    /// Parsed from `url`, lowercased; an IPv6 literal without brackets.
    public let host: String
    /// Parsed from `url`; the scheme's default (443 / 80) when the URL names none.
    public let port: UInt16
    /// User name for the registry's Basic or token authentication; nil = anonymous.
    public var username: String?
    /// Password or access token paired with ``username``.
    public var password: String?
    /// The file ``password`` was read from (`password_file`, `--upstream-password-file`);
    /// nil when it was set otherwise. Shown by `--print-config` in place of the password.
    public var passwordFile: String? = nil
    /// Skip TLS certificate verification for this upstream. Dangerous; explicit opt-in only.
    public var insecureSkipTLSVerify: Bool
    /// PEM file of extra CA certificates trusted for this upstream, in addition to the system's.
    public var caFile: String?
    /// How its requests reach it: the environment's proxy variables (default), direct, or a
    /// proxy of its own (`proxy:`).
    public var proxy: EgressProxySetting = .environment
    /// At most this many manifest GETs per hour (the requests Docker Hub counts as pulls);
    /// past it, stale answers or 429 without asking. nil = no budget.
    public var maxManifestGetsPerHour: Int? = nil
    /// Whether a 429 closes only the repository it was for (`rate_limit_scope: repository`)
    /// instead of the whole upstream (`upstream`, the default: Docker Hub limits per account).
    public var rateLimitPerRepository = false
    /// Sent as `?ns=NAME` on every request to it (YAML `ns`): for an upstream that is itself
    /// a Cistern mirroring several registries, which of them is meant. nil = no `ns`.
    public var namespace: String? = nil
    /// Whether its requests carry `X-Forwarded-For` with the client's address (YAML
    /// `forward_client_address`). Default true.
    public var forwardClientAddress = true
    /// Whose credentials its exchanges present (YAML `credentials`, issue 17 item 3):
    /// ``UpstreamCredentials/configured`` (the default: ``username``/``password``, or
    /// anonymous) or ``UpstreamCredentials/client`` (each client's own).
    public var credentials: UpstreamCredentials = .configured
    /// Under `credentials: client`, how long the upstream's answer to one credential reading
    /// one repository is trusted (YAML `client_access_ttl`, default 60 s): one HEAD serves a
    /// whole pull, and a revoked right is seen within this time.
    public var clientAccessTTL: Duration = .seconds(60)

    /// Creates an upstream, parsing and validating `url` and `name`.
    ///
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` with key `url` for a
    ///   scheme other than http/https, a missing host, a bad port, credentials, a path, query
    ///   or fragment; with key `name` for an empty name or one containing `/`, `?`, `#`, `@`
    ///   or whitespace.
    public init(
        name: String,
        url: String,
        username: String? = nil,
        password: String? = nil,
        insecureSkipTLSVerify: Bool = false,
        caFile: String? = nil
    ) throws {
        let endpoint = try Self.parseURL(url)
        try Self.validateName(name)
        self.name = name
        self.url = url
        self.scheme = endpoint.scheme
        self.host = endpoint.host
        self.port = endpoint.port
        self.username = username
        self.password = password
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.caFile = caFile
    }

    /// Docker Hub: `registry-1.docker.io`, `index.docker.io` or `docker.io`. Docker Hub
    /// needs special handling (the `library/` prefix for official images, its token service).
    public var isDockerHub: Bool {
        host == "registry-1.docker.io" || host == "index.docker.io" || host == "docker.io"
    }

    /// The URI authority for the `Host` header (RFC 9110 §7.2): `host`, or `host:port`
    /// when the port is not the scheme's default; an IPv6 literal is bracketed.
    public var authority: String {
        let bracketedHost = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? bracketedHost : "\(bracketedHost):\(port)"
    }

    /// The name containerd would send as `ns` for images on this upstream: its
    /// ``authority``, except that Docker Hub is always `docker.io`.
    public var derivedName: String {
        isDockerHub ? "docker.io" : authority
    }

    /// Docker Hub, anonymous: name `docker.io`, URL `https://registry-1.docker.io`; the
    /// upstream Cistern uses when no configuration says otherwise.
    public static let dockerHub = UpstreamConfiguration(
        validatedName: "docker.io", url: "https://registry-1.docker.io",
        scheme: .https, host: "registry-1.docker.io", port: 443
    )

    private init(validatedName: String, url: String, scheme: UpstreamScheme, host: String, port: UInt16) {
        self.name = validatedName
        self.url = url
        self.scheme = scheme
        self.host = host
        self.port = port
        self.username = nil
        self.password = nil
        self.insecureSkipTLSVerify = false
        self.caFile = nil
    }
}
