/// Who may perform an action (pull, or push and delete) on a route: the `pull:` and `push:`
/// values of issues 16 and 17. Every `switch` over this enum is exhaustive, so a new case
/// revisits each use site.
public enum AccessPrincipals: Hashable, Sendable, CustomStringConvertible {
    /// Every client, authenticated or not (`anyone`).
    case anyone
    /// Every client that authenticated (`authenticated`): a valid htpasswd user, or on a
    /// `credentials: client` remote a client whose credential the upstream checks.
    case authenticated
    /// These htpasswd users (`[alice, ci-bot]`), in configuration order.
    case users([String])
    /// No client (`nobody`): the action is refused with 403 DENIED.
    case nobody

    /// Parses the scalar configuration text (`anyone`, `authenticated`, `nobody`); nil for
    /// anything else (a user list is a YAML sequence: ``init(userList:)``).
    public init?(configurationText text: String) {
        switch text {
        case "anyone": self = .anyone
        case "authenticated": self = .authenticated
        case "nobody": self = .nobody
        default: return nil
        }
    }

    /// A user list; nil when it is empty or names a user twice or an empty name.
    public init?(userList names: [String]) {
        guard !names.isEmpty, !names.contains(""), Set(names).count == names.count else { return nil }
        self = .users(names)
    }

    /// The configuration text of this value (a user list as a YAML flow sequence).
    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .authenticated: "authenticated"
        case .users(let names): "[" + names.joined(separator: ", ") + "]"
        case .nobody: "nobody"
        }
    }

    /// Whether the value names users or authenticated clients, which needs `auth:`.
    public var needsAuthentication: Bool {
        switch self {
        case .anyone, .nobody: false
        case .authenticated, .users: true
        }
    }

    /// Whether `identity` may act.
    /// - Parameter upstreamChecksCredentials: the route leads to a `credentials: client`
    ///   remote, where a credential Cistern does not know counts as authenticated (the
    ///   upstream decides). Elsewhere only a verified htpasswd user does.
    public func allows(_ identity: ClientIdentity, upstreamChecksCredentials: Bool = false) -> Bool {
        switch self {
        case .anyone:
            return true
        case .nobody:
            return false
        case .authenticated:
            if identity.user != nil { return true }
            return upstreamChecksCredentials && identity.credential != nil
        case .users(let names):
            guard let user = identity.user else { return false }
            return names.contains(user)
        }
    }
}
