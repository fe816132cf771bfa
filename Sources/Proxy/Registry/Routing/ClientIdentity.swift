/// Who a client request comes from, as Cistern's authentication established it (issue 17):
/// the dispatcher's input to every access decision, and what a `credentials: client` remote
/// needs to ask its upstream on the client's behalf.
public struct ClientIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The htpasswd user whose password Cistern verified (on the token endpoint or from a
    /// direct `Authorization: Basic`); nil for an anonymous client or an unverified credential.
    public var user: String?
    /// The client's own credential, kept for a `credentials: client` remote (sealed in its
    /// token, or sent directly as Basic): nil unless the request may reach such a remote.
    /// Never forwarded anywhere else, never logged (its description hides the password).
    public var credential: ClientCredential?

    /// An identity; both nil is anonymous.
    public init(user: String? = nil, credential: ClientCredential? = nil) {
        self.user = user
        self.credential = credential
    }

    /// No credential at all.
    public static let anonymous = ClientIdentity()

    /// Whether the client presented nothing.
    public var isAnonymous: Bool { user == nil && credential == nil }

    /// `user`, `credential user:***` or `anonymous`: never a password.
    public var description: String {
        if let user { return user }
        if let credential { return "credential \(credential)" }
        return "anonymous"
    }
}
