import Proxy
import ProxyConfig
import ProxyLogging

/// The process's log level as a reload participant: a reloaded `log_level` (or the same
/// `--log-level` flag, which still wins) applies to every logger at once.
final class LogLevelReload: Reloadable {
    private let level: LiveLogLevel

    init(level: LiveLogLevel) {
        self.level = level
    }

    func prepareReload(to configuration: Configuration) throws -> @Sendable () -> Void {
        let newLevel = configuration.logLevel
        return { [level] in level.set(newLevel) }
    }
}
