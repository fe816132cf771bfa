import ProxyConfig
import ProxyLogging

/// The configuration reload (SIGHUP): the running process takes the live settings of a new
/// configuration (``Configuration/reloadTable``), logs the restart-only ones that changed
/// as ignored until restart, and keeps every connection.
extension CisternServer {
    /// Adds a participant to every later reload. Call before `run()`, on the server's thread.
    public func addReloadable(_ reloadable: any Reloadable) {
        reloadables.append(reloadable)
    }

    /// SIGHUP: reads the configuration again and applies it, or logs why not.
    func reload(_ reloadConfiguration: (() throws -> Configuration)?) {
        guard let reloadConfiguration else {
            logger.warning("SIGHUP ignored: this server has no configuration to read again")
            return
        }
        logger.info("SIGHUP: reloading the configuration")
        let configuration: Configuration
        do {
            configuration = try reloadConfiguration()
        } catch {
            logger.error("configuration reload refused; the running configuration stays", metadata: ["error": "\(error)"])
            return
        }
        reload(to: configuration)
    }

    /// Applies `configuration`'s live settings to the running server: the client timeouts
    /// and access log on every loop (each connection's next deadline and log line), tag
    /// freshness and serve-stale for the next request, the drain times for the next signal,
    /// then every ``Reloadable``'s commit. Restart-only settings that differ are logged (a
    /// warning per key) and keep their running values. No connection is closed.
    /// Call on the server's thread.
    /// - Returns: false when the reload was refused (`configuration` does not validate, or a
    ///   ``Reloadable`` refused it): an error line names the key, and nothing changed.
    @discardableResult
    public func reload(to configuration: Configuration) -> Bool {
        let commits: [@Sendable () -> Void]
        do {
            try configuration.validate()
            commits = try reloadables.map { try $0.prepareReload(to: configuration) }
        } catch {
            logger.error("configuration reload refused; the running configuration stays", metadata: ["error": "\(error)"])
            return false
        }
        let running = currentConfiguration
        let changes = running.reloadChanges(to: configuration)
        for change in changes where change.effect == .restartOnly {
            logger.warning("configuration reload: this setting changed but applies only after a restart; the running value stays",
                           metadata: ["key": "\(change.key)"])
        }
        let updated = running.applyingLiveSettings(of: configuration)
        setCurrentConfiguration(updated)
        shared.applyLiveSettings(updated)
        for connections in connectionContexts {
            connections.loop.execute { connections.apply(timeouts: updated.timeouts, accessLog: updated.accessLog) }
        }
        admin?.apply(timeouts: updated.timeouts, accessLog: updated.accessLog)
        for commit in commits { commit() }
        let applied = changes.filter { $0.effect == .live }.map(\.key)
        logger.notice("configuration reloaded", metadata: ["applied": "\(applied.isEmpty ? "nothing changed" : applied.joined(separator: ","))"])
        return true
    }
}
