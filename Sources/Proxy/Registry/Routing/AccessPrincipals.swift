/// Who may perform an action (pull, or push and delete) on a route: issue 16's `pull:` and
/// `push:` values. Client authentication (issue 17) adds authenticated clients and user
/// lists as further cases; every `switch` over this enum is exhaustive so each use site is
/// revisited then.
public enum AccessPrincipals: Hashable, Sendable, CustomStringConvertible {
    /// Every client, authenticated or not (`anyone`).
    case anyone
    /// No client (`nobody`): the action is refused with 403 DENIED.
    case nobody

    /// Parses the configuration text (`anyone`, `nobody`); nil for anything else.
    public init?(configurationText text: String) {
        switch text {
        case "anyone": self = .anyone
        case "nobody": self = .nobody
        default: return nil
        }
    }

    /// The configuration text of this value.
    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .nobody: "nobody"
        }
    }

    /// Whether the current client may act. Without client authentication every client is
    /// anonymous, so this is a function of the value alone.
    public var allowsAnonymousClient: Bool {
        switch self {
        case .anyone: true
        case .nobody: false
        }
    }
}
