import ProxyConfig

/// Something a configuration reload (SIGHUP) applies besides Cistern's own live settings:
/// the log level of `cistern serve`'s log handler, certificates to serve TLS with. Register
/// with ``CisternServer/addReloadable(_:)`` before ``CisternServer/run(reloadConfiguration:)``.
///
/// A reload is two-phase so that it is all or nothing: every participant first prepares
/// (reads its files, parses, checks) without changing anything; only when all of them and
/// the configuration itself were accepted does each returned commit run.
public protocol Reloadable: AnyObject, Sendable {
    /// Prepares to run with `configuration` (already validated; its restart-only settings
    /// may differ from the running ones, and are not applied) without changing anything yet.
    /// Called on the thread that handles signals, never on a loop; may block briefly (file
    /// reads).
    /// - Returns: the change to make once the reload is accepted; it runs on the same
    ///   thread, must not fail, and reaches loops through `EventLoop.execute` or by
    ///   publishing an immutable value (an atomic, or a lock held only for the swap).
    /// - Throws: an error that names the key or flag at fault (``ConfigurationError`` does),
    ///   to refuse the whole reload; the running configuration then stays.
    func prepareReload(to configuration: Configuration) throws -> @Sendable () -> Void
}
