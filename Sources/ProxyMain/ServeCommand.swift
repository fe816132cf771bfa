import ArgumentParser
import Logging
import Proxy
import ProxyConfig
import ProxyLogging

/// `cistern serve` (the default): builds the configuration (embedded default ← `--config`
/// YAML ← flags), bootstraps logging to stderr and runs the server until it stops.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the pull-through cache (the default command)."
    )

    private static let defaults = Configuration.embeddedDefault

    @Option(name: .customLong("config"), help: ArgumentHelp("YAML configuration file; flags override it.", valueName: "file"))
    var configFile: String?

    @Option(help: ArgumentHelp("Address to accept clients on (default: \(defaults.listen)).", valueName: "host:port"),
            transform: FlagValue.listenAddress)
    var listen: ListenAddress?

    @Option(help: ArgumentHelp("Base URL of the default upstream registry (default: \(defaults.upstreams[0].url)).", valueName: "url"))
    var upstream: String?

    @Option(help: ArgumentHelp("User name for the default upstream (default: anonymous).", valueName: "user"))
    var upstreamUsername: String?

    @Option(help: ArgumentHelp("File holding the default upstream's password or token (default: none).", valueName: "file"))
    var upstreamPasswordFile: String?

    @Flag(help: "Skip TLS certificate verification for the default upstream (default: verify).")
    var upstreamInsecure = false

    @Option(help: ArgumentHelp("HTTP proxy for the default upstream's requests: http://[user:pass@]host:port, or direct (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY).", valueName: "url"))
    var upstreamProxy: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Most manifest GETs per hour sent to the default upstream (Docker Hub counts each as a pull); past it, stale answers or 429 (default: no budget).", valueName: "n"))
    var upstreamMaxManifestGetsPerHour: Int?

    @Option(help: ArgumentHelp("Directory of the blob and manifest store (default: \(defaults.cacheDirectory)).", valueName: "dir"))
    var cacheDir: String?

    @OptionGroup var cacheLimits: CacheLimitOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Event-loop threads; 0 = one per CPU the process may run on (affinity mask), at most its cgroup CPU quota (default: \(defaults.workers)).", valueName: "n"))
    var workers: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("How long a tag's digest is reused before asking upstream again; 0 = always ask (default: \(defaults.tagTTL.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var tagTtl: Duration?

    @Flag(inversion: .prefixedNo, help: "Serve a known tag stale when the upstream refuses the mirror's credential (401/403) while revalidating it (default: on).")
    var serveStaleOnDenied: Bool?

    @Flag(inversion: .prefixedNo, help: "Fetch an image's blobs in the background after its manifest (default: off).")
    var prefetch: Bool?

    @Option(help: ArgumentHelp("Platform whose blobs are prefetched, os/arch[/variant] (default: \(defaults.prefetchPlatform)).", valueName: "platform"))
    var prefetchPlatform: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Most blob fills prefetch runs at once (default: \(defaults.prefetchConcurrency)).", valueName: "n"))
    var prefetchConcurrency: Int?

    @Option(help: ArgumentHelp("Least severe level logged: trace, debug, info, notice, warning, error, critical (default: \(defaults.logLevel)).", valueName: "level"),
            transform: FlagValue.logLevel)
    var logLevel: Logger.Level?

    @Flag(inversion: .prefixedNo, help: "Log one line per client request (default: on).")
    var accessLog: Bool?

    @Option(help: ArgumentHelp("Access-log line format: text, json or logfmt (default: \(defaults.accessLogFormat.rawValue)).", valueName: "format"),
            transform: FlagValue.accessLogFormat)
    var accessLogFormat: AccessLogFormat?

    @Option(help: ArgumentHelp("Serve /metrics, /healthz and /readyz on this second address; /metrics then leaves the client address (default: none).", valueName: "host:port"),
            transform: FlagValue.listenAddress)
    var adminListen: ListenAddress?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest wait for a client's complete request head (default: \(defaults.timeouts.requestHead.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var requestHeadTimeout: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("How long an idle keep-alive client connection stays open (default: \(defaults.timeouts.idleKeepAlive.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var idleTimeout: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest a client may leave our response unread before it is dropped (default: \(defaults.timeouts.clientWriteStall.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var clientWriteTimeout: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest wait to connect (TCP and TLS) to an upstream (default: \(defaults.timeouts.upstreamConnect.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var upstreamConnectTimeout: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("Longest an upstream may send nothing mid-response (default: \(defaults.timeouts.upstreamReadStall.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var upstreamReadTimeout: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("Slowest upstream body rate tolerated, bytes/s over \(defaults.timeouts.upstreamMinimumRateWindow.configurationText); 0 = no limit (default: \(defaults.timeouts.upstreamMinimumRate)).", valueName: "bytes-per-sec"))
    var upstreamMinimumRate: Int?

    @Option(help: ArgumentHelp("Serve TLS only on the listen address with this PEM certificate chain (leaf first, then intermediates); needs --tls-key (default: plain HTTP).", valueName: "file"))
    var tlsCertificate: String?

    @Option(help: ArgumentHelp("PEM private key of --tls-certificate (default: none).", valueName: "file"))
    var tlsKey: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("After SIGTERM, how long new connections are still accepted while /readyz answers 503 (default: \(defaults.drainDelay.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var drainDelay: Duration?

    @Option(parsing: .unconditional, help: ArgumentHelp("Then, longest wait for responses and fills in flight before they are cut (default: \(defaults.drainTimeout.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var drainTimeout: Duration?

    @Option(help: ArgumentHelp("This node's name in the Via field it adds upstream; a request whose Via already names it is a loop, answered 508 (default: host name:listen port).", valueName: "name"))
    var nodeId: String?
    @Option(help: ArgumentHelp("Directory of pushed images (storage registries); never evicted (default: <cache-dir>/storage).", valueName: "path"))
    var storageDir: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Remove an upload session untouched this long, with its data (default: \(defaults.uploadTimeout.configurationText)).", valueName: "duration"),
            transform: FlagValue.duration)
    var uploadTimeout: Duration?

    @Flag(help: "Print the effective configuration (defaults, --config file and flags merged) as YAML and exit; passwords are shown only as the file they are read from.")
    var printConfig = false

    func run() throws {
        do {
            try serve()
        } catch {
            // ArgumentParser prints the error and exits next, writing to stderr directly: the
            // log lines still queued for the writer thread must be out, whole, first, or the
            // two interleave and the exit loses the queued lines.
            LogWriter.standardError.drain()
            throw error
        }
    }

    private func serve() throws {
        let (configuration, warnings) = try loadConfiguration()
        if printConfig {
            print(configuration.yamlText, terminator: "")
            return
        }
        let logLevel = LiveLogLevel(configuration.logLevel)
        LoggingSystem.bootstrap { label in
            StderrLogHandler(label: label, liveLevel: logLevel)
        }
        let logger = Logger(label: "cistern")
        for warning in warnings { logger.warning("configuration", metadata: ["file": "\(configFile ?? "")", "warning": "\(warning)"]) }
        logger.info("starting", metadata: [
            "version": "\(CisternCommand.version)",
            "listen": "\(configuration.listen)",
            "loops": "\(CisternServer.loopCount(configured: configuration.workers))",
            "upstreams": "\(configuration.upstreams.map { "\($0.name)=\($0.url)" }.joined(separator: ","))",
            "default_upstream": "\(configuration.defaultUpstream)",
            "cache_dir": "\(configuration.cacheDirectory)",
            "tls": "\(configuration.tls == nil ? "off" : "on")",
        ])
        let server = try CisternServer(configuration: configuration, logger: logger)
        server.addReloadable(LogLevelReload(level: logLevel))
        // SIGHUP reads the same file again, under the same flags (flags still win).
        try server.run(reloadConfiguration: { try loadConfiguration().configuration })
    }

    /// The embedded default ← the `--config` file (read now; Cistern's format or a
    /// distribution `config.yml`) ← the flags, validated; with the file's warnings.
    private func loadConfiguration() throws -> (configuration: Configuration, warnings: [String]) {
        let loaded = try configFile.map { try Configuration.loadReportingWarnings(file: $0) } ?? (.embeddedDefault, [])
        return (try overrides.applied(to: loaded.configuration), loaded.warnings)
    }

    /// The flags that were given, as library overrides (nil = not given).
    private var overrides: ConfigurationOverrides {
        var overrides = ConfigurationOverrides()
        overrides.listen = listen
        overrides.workers = workers
        overrides.cacheDirectory = cacheDir
        overrides.upstreamURL = upstream
        overrides.upstreamUsername = upstreamUsername
        overrides.upstreamPasswordFile = upstreamPasswordFile
        overrides.upstreamInsecureSkipTLSVerify = upstreamInsecure ? true : nil
        overrides.upstreamProxy = upstreamProxy
        overrides.upstreamMaxManifestGetsPerHour = upstreamMaxManifestGetsPerHour
        overrides.tagTTL = tagTtl
        overrides.serveStaleOnDenied = serveStaleOnDenied
        overrides.prefetch = prefetch
        overrides.prefetchPlatform = prefetchPlatform
        overrides.prefetchConcurrency = prefetchConcurrency
        overrides.logLevel = logLevel
        overrides.accessLog = accessLog
        overrides.accessLogFormat = accessLogFormat
        overrides.adminListen = adminListen
        overrides.requestHeadTimeout = requestHeadTimeout
        overrides.idleKeepAliveTimeout = idleTimeout
        overrides.clientWriteStallTimeout = clientWriteTimeout
        overrides.upstreamConnectTimeout = upstreamConnectTimeout
        overrides.upstreamReadStallTimeout = upstreamReadTimeout
        overrides.upstreamMinimumRate = upstreamMinimumRate
        overrides.tlsCertificate = tlsCertificate
        overrides.tlsKey = tlsKey
        overrides.drainDelay = drainDelay
        overrides.drainTimeout = drainTimeout
        overrides.nodeID = nodeId
        overrides.storageDirectory = storageDir
        overrides.uploadTimeout = uploadTimeout
        cacheLimits.apply(to: &overrides)
        return overrides
    }
}
