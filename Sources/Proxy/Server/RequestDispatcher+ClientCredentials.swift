import ProxyAuth
import ProxyHTTP
import ProxyPullThrough
import ProxyRegistry
import ProxyTransport
import ProxyUpstream

/// The client's own credential on `credentials: client` routes (issue 17 items 3 and 4): where
/// it is read, and the confirmation before cached content is served for it.
extension RequestDispatcher {
    /// The credential the request presents for a `credentials: client` remote; nil = anonymous.
    ///
    /// With `auth:`, what the authenticator established (`authentication`): the credential
    /// sealed in one of Cistern's tokens, or an `Authorization: Basic` sent straight to the
    /// registry endpoint, kept only when the route's registry takes client credentials.
    /// Without `auth:`, there is no token endpoint, and the direct Basic is the only way to
    /// present one (curl, scripts). No upstream request copies the request's `Authorization`:
    /// the credential is presented only by Cistern's exchanges, and only to a remote that
    /// takes client credentials (``presentedCredential(_:to:)``).
    static func clientCredential(_ head: RequestHead, _ authentication: RequestAuthentication, _ context: LoopContext) -> ClientCredential? {
        guard context.shared.authenticator == nil else { return authentication.identity.credential }
        return head.authorization.flatMap { ClientCredential(basicAuthorization: $0) }
    }

    /// The challenge of the gate's 401: Cistern's own Bearer challenge with the repository's
    /// pull scope under `auth:` (the client fetches a token with its credential, which the
    /// token then carries sealed), else Basic.
    static func clientAccessChallenge(_ name: RepositoryName, _ head: RequestHead, _ connection: any ClientResponder,
                                      _ context: LoopContext) -> String {
        guard context.shared.authenticator != nil else { return ClientAccessGate.challenge }
        return Authenticator.challenge(realm: realm(head, connection), scope: Authenticator.scope(name, .pull))
    }

    /// `credential` when `upstream` takes client credentials, else nil: no other remote is
    /// ever shown a client's credential.
    static func presentedCredential(_ credential: ClientCredential?, to upstream: UpstreamRegistry) -> ClientCredential? {
        upstream.takesClientCredentials ? credential : nil
    }

    /// Runs `serve` with the credential its upstream requests present: at once, with nil, for
    /// a remote with its own credentials; under `credentials: client` with the client's
    /// (``clientCredential(_:_:_:)``), through `later()`'s closure once the upstream confirmed
    /// that it may read the repository (``ClientAccessGate``, which otherwise answers the
    /// request itself: 401, 403 or the upstream's failure).
    static func withClientAccess(_ probe: ClientAccessGate.Probe, authentication: RequestAuthentication, name: RepositoryName,
                                 upstream: UpstreamRegistry, _ head: RequestHead, _ connection: any ClientResponder,
                                 _ context: LoopContext, _ serve: (ClientCredential?) -> Void,
                                 later: () -> (ClientCredential?) -> Void) {
        guard upstream.takesClientCredentials else {
            serve(nil)
            return
        }
        let credential = clientCredential(head, authentication, context)
        let serve = later()
        ClientAccessGate.confirm(probe, credential: credential, name: name, upstream: upstream, head: head,
                                 connection: connection, context: context,
                                 challenge: clientAccessChallenge(name, head, connection, context)) { serve(credential) }
    }
}
