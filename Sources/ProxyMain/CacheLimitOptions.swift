import ArgumentParser
import Proxy
import ProxyConfig

/// The cache's size and age limits as flags, shared by `cistern serve` and `cistern cache gc`
/// (both read `--config` first; these flags win over it).
struct CacheLimitOptions: ParsableArguments {
    private static let defaults = Configuration.embeddedDefault

    @Option(parsing: .unconditional, help: ArgumentHelp("Most bytes the cache directory may take, e.g. 200GiB; eviction of the least recently read content starts there; 0 = no limit (default: the --config file's, else \(ByteCountText.text(defaults.cacheMaxSize))).", valueName: "size"),
            transform: FlagValue.byteCount)
    var cacheMaxSize: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp("Share of --cache-max-size eviction brings the cache down to (default: the --config file's, else \(defaults.cacheLowWatermark)%).", valueName: "percent"),
            transform: FlagValue.percentage)
    var cacheLowWatermark: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Remove content not read for this long, e.g. 14d; 0 = never (default: the --config file's, else \(defaults.cacheMaxAge.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var cacheMaxAge: Duration?

    /// Copies the flags that were given into `overrides`.
    func apply(to overrides: inout ConfigurationOverrides) {
        overrides.cacheMaxSize = cacheMaxSize
        overrides.cacheLowWatermark = cacheLowWatermark
        overrides.cacheMaxAge = cacheMaxAge
    }
}
