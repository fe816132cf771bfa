import CEpoll
import Glibc
import Logging
import ProxyConfig
import ProxyHTTP
import ProxyLogging
import ProxyLoop
import ProxyMetrics
import ProxyPullThrough
import ProxyStore
import ProxySystem
import ProxyTransport

/// The Cistern process: one event loop per worker, each on its own thread,
/// all watching one listening socket (`ListenSocket`: exclusive to this
/// process), sharing the store and the single-flight tables; the cache
/// directory is locked for this process (`CacheDirectoryLock`) until `shutdown()` ends.
/// `run()` blocks until SIGTERM or SIGINT has drained the server (`+Run`), reloading the
/// configuration on SIGHUP (`+Reload`); tests use `start()` / `shutdown()` and read the
/// bound port from `port`.
///
/// Confinement: `start`, `run`, `reload`, `beginDraining`, `closeListeners` and `shutdown`
/// run on one thread (the one that created the server); the running configuration is read
/// from any thread under its lock.
public final class CisternServer {
    /// The configuration at start-up. Restart-only settings keep these values for the life of
    /// the process; live ones may have been reloaded since (``currentConfiguration``).
    public let configuration: Configuration
    public let shared: SharedServices
    let logger: Logger
    var contexts: [LoopContext] = []
    var connectionContexts: [ConnectionContext] = []
    var listeners: [LoopBound<Listener>] = []
    private var threads: [pthread_t] = []
    private let cacheLock: CacheDirectoryLock
    /// The storage directory's lock (nil without a storage registry): `cistern storage gc`
    /// refuses a storage this process serves, also when it lies outside the cache directory.
    private let storageLock: CacheDirectoryLock?
    /// The shared listening socket; -1 before `start()`, after `closeListeners()` and after `shutdown()`.
    var listenFD: Int32 = -1
    /// The TCP port the listeners are bound to (useful with port 0).
    public private(set) var port: UInt16 = 0
    /// How often the cache's limits are applied and its index written when changed.
    private let cacheMaintenanceInterval: Duration
    /// Held here: a loop's timer heap keeps its targets weakly.
    private var maintenanceTimer: LoopBound<CacheMaintenanceTimer>?
    /// The certificate served when the listen address speaks TLS (``Configuration/tls``);
    /// nil on plain HTTP. ``reloadTLSCertificate()`` replaces it for new connections.
    package let tlsContext: TLSServerContext?
    private var uploadSweepTimer: LoopBound<UploadSweepTimer>?
    /// What `/readyz` answers.
    let readiness = Readiness()
    /// Client connections open across the loops, for the drain.
    let census = ConnectionCensus()
    /// The configuration running now (start-up settings with the live ones reloaded).
    private let running: PThreadLock
    private var runningConfiguration: Configuration
    /// Registered with ``addReloadable(_:)`` before `run()`; called on reload.
    var reloadables: [any Reloadable] = []
    /// The admin address (`--admin-listen`), when configured and started.
    var admin: AdminListener?

    /// Locks the cache directory, then prepares it (removing leftovers of
    /// interrupted fills) and the upstreams.
    /// - Throws: `CacheDirectoryLock.Failure` when another process uses the
    ///   cache directory; `SystemError`, `RegistryError` or `UpstreamError` for
    ///   an unusable cache directory, upstream URL or TLS trust store; `TLSServerContextError`
    ///   for an unusable TLS certificate or key.
    /// - Parameter clock: the wall clock for tag freshness (tests pass one they can move).
    /// - Parameter cacheMaintenanceInterval: how often the size and age limits are applied
    ///   (tests shorten it).
    public init(configuration: Configuration, logger: Logger, clock: any WallClock = SystemWallClock(),
                cacheMaintenanceInterval: Duration = .seconds(5)) throws {
        self.configuration = configuration
        running = PThreadLock()
        runningConfiguration = configuration
        self.cacheMaintenanceInterval = cacheMaintenanceInterval
        self.logger = logger
        tlsContext = try configuration.tls.map { try TLSServerContext(certificatePath: $0.certificate, keyPath: $0.key) }
        // Before anything touches the directory: a second process must not
        // remove the first one's fills in progress.
        cacheLock = try CacheDirectoryLock(directory: configuration.cacheDirectory)
        storageLock = try configuration.storageRegistry.map { _ in
            try CacheDirectoryLock(directory: configuration.effectiveStorageDirectory, role: "storage directory")
        }
        shared = try SharedServices(configuration: configuration, logger: logger, metrics: Metrics(), clock: clock)
        if let tlsContext { reloadables.append(TLSCertificateReload(context: tlsContext, logger: logger)) }
        if let authenticator = shared.authenticator {
            reloadables.append(HtpasswdReload(authenticator: authenticator, logger: logger))
            logger.info("client authentication on", metadata: [
                "users": "\(authenticator.verifier.userCount)", "token_key_file": "\(configuration.effectiveTokenKeyFile ?? "")",
                "token_ttl": "\(authenticator.tokenLifetimeSeconds)s",
            ])
            let missing = authenticator.routeUsersMissingFromHtpasswd()
            if !missing.isEmpty {
                logger.warning("routes name users the htpasswd file does not have; they cannot log in until added",
                               metadata: ["users": "\(missing.joined(separator: ","))"])
            }
        }
    }

    /// The event loops a server runs: `configured` (the `workers` key), or for 0 one per CPU
    /// this process may run on (its affinity mask: `taskset`, a container's cpuset), and no
    /// more than its cgroup's CPU quota allows (``CPUQuota``).
    public static func loopCount(configured: Int) -> Int {
        if configured > 0 { return configured }
        let cpus = Int(cep_cpu_count())
        return max(1, min(cpus, CPUQuota.limit() ?? cpus))
    }

    /// Binds the listening socket and starts the loop threads.
    /// - Throws: `ListenSocket.Failure` when the address does not resolve or
    ///   cannot be bound (in use by another process); `SystemError` when a
    ///   loop cannot be created.
    public func start() throws {
        cep_ignore_sigpipe()
        let workers = Self.loopCount(configured: configuration.workers)
        let current = currentConfiguration
        let (fd, port) = try ListenSocket.open(configuration.listen)
        listenFD = fd
        self.port = port
        try openAdminListener()
        for index in 0..<workers {
            let loop = try EventLoop(index: index)
            try startLagProbe(on: loop)
            let context = LoopContext(loop: loop, shared: shared, nodeID: configuration.resolvedNodeID(boundPort: port))
            let connections = ConnectionContext(
                loop: loop, timeouts: current.timeouts, accessLog: current.accessLog, metrics: shared.metrics,
                logger: logger, census: census, tls: tlsContext, trustedProxies: configuration.trustedProxies,
                makeHandler: { [readiness] in RequestDispatcher(context: context, readiness: readiness) })
            connections.accessLogFormat = current.accessLogFormat
            connections.responseViaField = Array("Via: \(ViaField.responseValue(nodeID: context.nodeID))\r\n".utf8)
            let listener = Listener(fd: fd, context: connections)
            try listener.start()
            contexts.append(context)
            connectionContexts.append(connections)
            listeners.append(LoopBound(listener, loop: loop))
            if index == 0 {
                // Armed before the loop's thread runs, like the listener's registration.
                let timer = CacheMaintenanceTimer(loop: loop, cache: shared.cache, interval: cacheMaintenanceInterval)
                timer.start()
                maintenanceTimer = LoopBound(timer, loop: loop)
                if let storage = shared.storage {
                    let sweep = UploadSweepTimer(loop: loop, uploads: storage.uploads, pool: shared.ioPool, uploadTimeout: configuration.uploadTimeout)
                    sweep.start()
                    uploadSweepTimer = LoopBound(sweep, loop: loop)
                }
                try admin?.start(context: context, configuration: current, readiness: readiness, logger: logger)
            }
            // Ready before the loop's thread runs: once it answers `/healthz` it answers
            // `/readyz` 200 too (set after the spawns, a probe in between saw 503).
            readiness.set(true)
            threads.append(LoopThread.spawn(name: "cistern-loop-\(index)") { loop.run() })
        }
        logger.info("cistern listening", metadata: [
            "address": "\(ListenAddress(host: configuration.listen.host, port: port))", "loops": "\(workers)",
            "cache": "\(configuration.cacheDirectory)", "upstream": "\(shared.defaultUpstream.origin)",
            "tls": "\(tlsContext == nil ? "off" : "on")",
            "node": "\(configuration.resolvedNodeID(boundPort: port))",
        ])
        if let tlsContext {
            logger.info(tlsContext.kernelOffersKTLS
                ? "TLS: the kernel offers kTLS; file bodies go out with SSL_sendfile where OpenSSL enables it"
                : "TLS: the kernel offers no kTLS (no tls module); file bodies are read and encrypted with SSL_write",
                metadata: ["certificate": "\(tlsContext.certificatePath)", "key": "\(tlsContext.keyPath)"])
        }
    }

    /// Loads the TLS certificate chain and key again from their files and serves them to
    /// connections accepted from now on (open connections keep theirs). Any thread. Logs the
    /// outcome. (SIGHUP does the same as part of the configuration reload, through
    /// `TLSCertificateReload`.)
    /// - Returns: false when the listen address is plain HTTP (nothing to reload).
    /// - Throws: `TLSServerContextError` when the files are unusable; the certificate in use
    ///   is kept.
    @discardableResult
    package func reloadTLSCertificate() throws(TLSServerContextError) -> Bool {
        guard let tlsContext else { return false }
        do throws(TLSServerContextError) {
            try tlsContext.reload()
        } catch {
            logger.error("TLS certificate not reloaded; still serving the previous one", metadata: ["error": "\(error)"])
            throw error
        }
        logger.info("TLS certificate reloaded", metadata: ["certificate": "\(tlsContext.certificatePath)"])
        return true
    }

    /// The configuration running now: the start-up one with the live settings of every
    /// accepted reload. Any thread.
    public var currentConfiguration: Configuration {
        running.withLock { runningConfiguration }
    }

    /// Replaces the running configuration (after a reload). Any thread; the lock is held
    /// only for the copy.
    func setCurrentConfiguration(_ configuration: Configuration) {
        running.withLock { runningConfiguration = configuration }
    }

    /// Closes the listeners and every connection, stops the loops and waits
    /// for their threads, then lets the I/O pool finish the commits and records
    /// already queued. Fills in progress are abandoned (their temporary
    /// files are removed at the next start-up). The cache directory lock is released last.
    public func shutdown() {
        readiness.set(false)
        stopAdminListener()
        for ((context, connections), listener) in zip(zip(contexts, connectionContexts), listeners) {
            context.loop.execute {
                listener.value.close()
                connections.closeAll()
                context.pool.closeAll()
                context.loop.stop()
            }
        }
        for thread in threads { LoopThread.join(thread) }
        threads.removeAll()
        listeners.removeAll()
        maintenanceTimer = nil
        uploadSweepTimer = nil
        contexts.removeAll()
        connectionContexts.removeAll()
        if listenFD >= 0 {
            _ = cep_close(listenFD)
            listenFD = -1
        }
        // Commits and records already queued finish before the cache lock is released; the
        // index is written last (on the pool), with the clean-shutdown marker after it.
        shared.ioPool.waitUntilIdle()
        let cache = shared.cache
        if !shared.ioPool.submit(key: CacheEviction.maintenanceKey, { cache.flush(clean: true) }) {
            cache.flush(clean: true)
        }
        shared.ioPool.stop()
        shared.authenticator?.verifier.stop()
        cacheLock.release()
        storageLock?.release()
        shared.resolver.stop()
        LogWriter.standardError.drain()
    }
}
