import Logging
import ProxyAuth
import ProxyConfig

/// Client authentication's part in a configuration reload (SIGHUP): the htpasswd file is
/// read again, and its users (added, removed, new passwords) apply to the next credential
/// check; remembered credentials are forgotten. A file that is unreadable or holds a
/// non-bcrypt entry refuses the whole reload, naming the file and line. The path itself is
/// fixed at start-up (`auth.htpasswd` is restart-only in ``Configuration/reloadTable``).
/// Tokens already issued stay valid until they expire (`auth.token_ttl`).
///
/// `Sendable`: `authenticator` is Sendable (its verifier swaps users under its lock) and
/// `logger` is a value.
final class HtpasswdReload: Reloadable {
    let authenticator: Authenticator
    let logger: Logger

    init(authenticator: Authenticator, logger: Logger) {
        self.authenticator = authenticator
        self.logger = logger
    }

    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under `auth.htpasswd`.
    func prepareReload(to configuration: Configuration) throws -> @Sendable () -> Void {
        guard let htpasswd = try authenticator.readUsersAgain() else { return {} }
        return { [authenticator, logger] in
            authenticator.verifier.replace(htpasswd)
            logger.notice("htpasswd reloaded", metadata: ["users": "\(htpasswd.hashes.count)"])
        }
    }
}
