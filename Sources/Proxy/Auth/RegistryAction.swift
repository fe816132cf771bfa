import ProxyRegistry

/// What a registry request does to a repository, as routes (`pull:`, `push:`) and token
/// scopes (Docker token spec actions) name it.
package enum RegistryAction: String, Sendable, CaseIterable {
    /// GET and HEAD of manifests, blobs, tags, referrers.
    case pull
    /// Uploads and manifest PUTs.
    case push
    /// DELETE of a manifest or tag: allowed by the route's `push:`.
    case delete

    /// Whether a token's `actions` cover this action (`*` covers all; `push` covers `delete`,
    /// which routes grant together).
    package func isCovered(by actions: [String]) -> Bool {
        switch self {
        case .pull: actions.contains("pull") || actions.contains("*")
        case .push: actions.contains("push") || actions.contains("*")
        case .delete: actions.contains("delete") || actions.contains("push") || actions.contains("*")
        }
    }
}

/// How the credential a request presents was established: the input of every access decision.
package struct RequestAuthentication: Sendable, Equatable {
    /// Who the client is.
    package var identity: ClientIdentity
    /// The `access` claim when the client presented a token (its grants bound what it may
    /// do, even where the route would allow more); nil for Basic or nothing.
    package var tokenAccess: [TokenAccess]?

    /// An identity and, for a token, its grants.
    package init(identity: ClientIdentity, tokenAccess: [TokenAccess]? = nil) {
        self.identity = identity
        self.tokenAccess = tokenAccess
    }

    /// No credential presented.
    package static let anonymous = RequestAuthentication(identity: .anonymous)
}

/// The answer to "may this request act on this repository?".
package enum AccessDecision: Sendable, Equatable {
    /// Serve it.
    case allowed
    /// 401 UNAUTHORIZED with a Bearer challenge for this scope: the client presented nothing,
    /// or a token that does not cover the action although its holder may (a new token helps).
    case challenge(scope: String)
    /// 403 DENIED: the client is known and may not.
    case denied
}
