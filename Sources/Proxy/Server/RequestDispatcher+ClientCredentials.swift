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
    /// Today: an `Authorization: Basic` sent straight to the registry endpoint (curl, scripts:
    /// issue 17 item 1). The single entry point: the token endpoint's sealed credential (a
    /// Bearer token of Cistern's own) is to be opened here too. Nothing else reads the
    /// request's `Authorization`, and no upstream request copies it: it is presented only by
    /// Cistern's exchanges, and only to a remote that takes client credentials.
    static func clientCredential(_ head: RequestHead) -> ClientCredential? {
        head.authorization.flatMap { ClientCredential(basicAuthorization: $0) }
    }

    /// `credential` when `upstream` takes client credentials, else nil: no other remote is
    /// ever shown a client's credential.
    static func presentedCredential(_ credential: ClientCredential?, to upstream: UpstreamRegistry) -> ClientCredential? {
        upstream.takesClientCredentials ? credential : nil
    }

    /// Runs `serve` with the credential its upstream requests present: at once, with nil, for
    /// a remote with its own credentials; under `credentials: client` with the client's, once
    /// the upstream confirmed that it may read the repository (``ClientAccessGate``, which
    /// otherwise answers the request itself: 401, 403 or the upstream's failure).
    static func withClientAccess(_ probe: ClientAccessGate.Probe, credential: ClientCredential?, name: RepositoryName,
                                 upstream: UpstreamRegistry, _ head: RequestHead, _ connection: any ClientResponder,
                                 _ context: LoopContext, serve: @escaping (ClientCredential?) -> Void) {
        guard upstream.takesClientCredentials else {
            serve(nil)
            return
        }
        ClientAccessGate.confirm(probe, credential: credential, name: name, upstream: upstream, head: head,
                                 connection: connection, context: context) { serve(credential) }
    }
}
