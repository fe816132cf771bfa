import Foundation
import ProxyMetrics
import ProxyRegistry
import ProxySystem
import Synchronization

/// One configured upstream registry (Docker Hub, GHCR, a private registry,
/// another Cistern): where it is, how to authenticate to it, and the bearer
/// tokens obtained from its token service, cached per scope until they expire
/// (Docker "Token Authentication Specification").
///
/// Sendable: configuration is immutable; the token cache is behind a lock.
public final class UpstreamRegistry: Sendable {
    /// The name containerd's `?ns=` uses for it, e.g. `docker.io`; also the
    /// cache's namespace for tags.
    public let name: String
    public let origin: Origin
    /// Path prefix of the registry API at the origin (normally empty).
    public let basePath: String
    /// Whether one-component names get `library/` (Docker Hub only).
    public let isDockerHub: Bool
    /// Counts the response body bytes read from this upstream (and the hosts it redirects
    /// to); nil when nothing counts them (tests).
    package let traffic: UpstreamTrafficCounter?
    /// `Basic <base64(user:password)>` when credentials are configured.
    let basicAuthorization: String?
    /// Which proxy its requests (registry, token service, redirects) go through.
    public let egress: EgressRoute
    /// Its 429 memory, manifest GET budget and last `RateLimit-*` values.
    public let rateLimiter: UpstreamRateLimiter
    /// The Cistern node ids seen behind this upstream (loop detection one hop early).
    public let nodeIDs = UpstreamNodeIDs()
    /// Sent as `?ns=` on each request (an upstream Cistern mirroring several registries).
    public let namespace: String?
    /// Whether requests carry the client's address in `X-Forwarded-For`.
    public let forwardsClientAddress: Bool
    /// `credentials: client` (issue 17 item 3): every exchange made for a client presents that
    /// client's own credential (``presentation(for:)``), and cached content is served to a
    /// client only once the upstream confirmed its access.
    public let takesClientCredentials: Bool
    /// Under `credentials: client`, how long one confirmation of a credential reading a
    /// repository holds, in nanoseconds (`client_access_ttl`).
    public let clientAccessLifetimeNanoseconds: Int64
    /// Past this many cached tokens (one per scope, or per credential and scope), unusable
    /// ones are dropped when another is stored: client credentials must not grow it forever.
    static let tokenTableCapacity = 4096
    private let tokens = Locked<[String: BearerToken]>([:])
    private let deniedScopes = Locked(DeniedScopes())
    private let basicPreferred = Atomic<Bool>(false)

    /// Whether the upstream asked for HTTP Basic once: later requests send
    /// the credentials up front instead of waiting for a 401 each time.
    var prefersBasic: Bool {
        get { basicPreferred.load(ordering: .relaxed) }
        set { basicPreferred.store(newValue, ordering: .relaxed) }
    }

    /// - Parameter traffic: where the body bytes read from this upstream are counted.
    /// - Throws: `RegistryError` when the URL is not an absolute http(s) URL.
    /// - Parameters:
    ///   - namespace: sent as `?ns=` on every request (nil = none).
    ///   - forwardsClientAddress: whether `X-Forwarded-For` is sent.
    ///   - takesClientCredentials: `credentials: client`; then `username`/`password` are nil.
    ///   - clientAccessLifetime: `client_access_ttl`.
    public init(name: String, url: String, username: String?, password: String?, egress: EgressRoute = .direct,
                rateLimiter: UpstreamRateLimiter = UpstreamRateLimiter(),
                traffic: UpstreamTrafficCounter? = nil, namespace: String? = nil,
                forwardsClientAddress: Bool = true, takesClientCredentials: Bool = false,
                clientAccessLifetime: Duration = .seconds(60)) throws(RegistryError) {
        guard let parsed = Origin.parse(absoluteURL: url) else {
            throw RegistryError(code: .upstreamError, status: 500, message: "upstream \(name): unusable URL \(url)")
        }
        self.name = name
        self.traffic = traffic
        self.egress = egress
        self.rateLimiter = rateLimiter
        self.namespace = namespace
        self.forwardsClientAddress = forwardsClientAddress
        self.takesClientCredentials = takesClientCredentials
        clientAccessLifetimeNanoseconds = MonotonicClock.nanoseconds(clientAccessLifetime)
        origin = parsed.origin
        basePath = parsed.pathAndQuery == "/" ? "" : String(parsed.pathAndQuery.trimmingSuffix("/"))
        let host = parsed.origin.host
        isDockerHub = host == "registry-1.docker.io" || host == "index.docker.io" || host == "docker.io"
        if let username, let password {
            basicAuthorization = ClientCredential(username: username, password: password).basicAuthorization
        } else {
            basicAuthorization = nil
        }
    }

    /// The repository name as this upstream knows it (`alpine` ->
    /// `library/alpine` on Docker Hub).
    public func upstreamName(_ repository: RepositoryName) -> RepositoryName {
        repository.normalized(dockerHub: isDockerHub)
    }

    /// The pull scope for `repository` (token spec: `repository:<name>:pull`).
    package static func pullScope(_ repository: RepositoryName) -> String {
        "repository:\(repository.string):pull"
    }

    /// A cached, still-valid token for `scope` (a ``UpstreamPresentation/tokenKey(_:)``).
    func token(for scope: String) -> BearerToken? {
        let now = ContinuousClock.now
        return tokens.withLock { table in
            guard let token = table[scope] else { return nil }
            if token.isUsable(at: now) { return token }
            table[scope] = nil
            return nil
        }
    }

    func store(_ token: BearerToken, for scope: String) {
        let now = ContinuousClock.now
        tokens.withLock { table in
            if table.count >= Self.tokenTableCapacity { table = table.filter { $0.value.isUsable(at: now) } }
            table[scope] = token
        }
    }

    func forgetToken(for scope: String) {
        tokens.withLock { $0[scope] = nil }
    }

    /// Remembers for `DeniedScopes.lifetime` that a freshly issued token for `scope` was refused.
    func rememberDenied(_ scope: String) {
        let now = ContinuousClock.now
        deniedScopes.withLock { $0.remember(scope, now: now) }
    }

    /// Whether `scope` was refused recently: a 401 for it is then answered as it is, without
    /// asking the token service again.
    func isDenied(_ scope: String) -> Bool {
        let now = ContinuousClock.now
        return deniedScopes.withLock { $0.contains(scope, now: now) }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: Character) -> Substring {
        var s = Substring(self)
        while s.last == suffix { s = s.dropLast() }
        return s
    }
}
