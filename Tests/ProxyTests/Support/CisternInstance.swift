import Foundation
import Logging
@testable import Proxy
@testable import ProxyConfig
@testable import ProxySystem

/// A Cistern server running in the test process on a free loopback port,
/// with its own cache directory (or a given one, to test restarts).
/// `stop()` (also run on deinit) shuts the loops down and joins them.
final class CisternInstance {
    let server: CisternServer
    let cacheDirectory: URL
    private let ownedCache: TemporaryDirectory?
    private var stopped = false

    var port: UInt16 { server.port }
    /// `127.0.0.1:PORT`, for skopeo's `docker://` references.
    var hostAndPort: String { "127.0.0.1:\(server.port)" }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(server.port)")! }

    /// - Parameters:
    ///   - upstreams: (name, url) pairs; the first is the default upstream.
    ///   - cacheDirectory: reuse a cache (restart tests); a new temporary one otherwise.
    ///   - clock: the wall clock tag freshness is measured on (a `TestWallClock` to move time).
    ///   - cacheMaintenanceInterval: how often the cache's limits are applied.
    ///   - configure: last-minute changes (timeouts, TTL, workers).
    init(upstreams: [(name: String, url: String)], cacheDirectory: URL? = nil, clock: any WallClock = SystemWallClock(),
         cacheMaintenanceInterval: Duration = .seconds(5), configure: (inout Configuration) -> Void = { _ in }) throws {
        if let cacheDirectory {
            self.cacheDirectory = cacheDirectory
            ownedCache = nil
        } else {
            let temporary = try TemporaryDirectory(prefix: "cistern-cache")
            ownedCache = temporary
            self.cacheDirectory = temporary.url
        }
        var configuration = Configuration(
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            workers: 2,
            cacheDirectory: self.cacheDirectory.path,
            upstreams: try upstreams.map { try UpstreamConfiguration(name: $0.name, url: $0.url) },
            defaultUpstream: upstreams[0].name,
            accessLog: ProcessInfo.processInfo.environment["CISTERN_TEST_ACCESS_LOG"] != nil)
        configure(&configuration)
        var logger = Logger(label: "cistern-test")
        logger.logLevel = ProcessInfo.processInfo.environment["CISTERN_TEST_ACCESS_LOG"] != nil ? .info : .critical
        server = try CisternServer(configuration: configuration, logger: logger, clock: clock,
                                   cacheMaintenanceInterval: cacheMaintenanceInterval)
        try server.start()
    }

    /// One upstream named after its `host:port`.
    convenience init(upstream url: URL, cacheDirectory: URL? = nil, clock: any WallClock = SystemWallClock(),
                     cacheMaintenanceInterval: Duration = .seconds(5), configure: (inout Configuration) -> Void = { _ in }) throws {
        let name = "\(url.host!):\(url.port!)"
        try self.init(upstreams: [(name, url.absoluteString)], cacheDirectory: cacheDirectory, clock: clock,
                      cacheMaintenanceInterval: cacheMaintenanceInterval, configure: configure)
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        server.shutdown()
    }

    deinit {
        stop()
    }

    /// Waits (at most `timeout`) until no fill is in flight. Clients get a fill's verdict as
    /// soon as the digest verifies, before the commit to the store ends; a fill leaves the
    /// table only once its commit ended, so after this the cache shows what was committed.
    func waitForFillsToSettle(timeout: Duration = .seconds(10)) {
        let deadline = ContinuousClock.now + timeout
        while server.shared.fills.count > 0, ContinuousClock.now < deadline { TestTime.sleep(.milliseconds(5)) }
    }

    /// The digests of every committed blob file in the cache, once running fills settled
    /// (`settled: false` reads the directory as it is now, for checks made mid-fill).
    func committedBlobDigests(settled: Bool = true) -> Set<String> {
        if settled { waitForFillsToSettle() }
        let root = cacheDirectory.appendingPathComponent("blobs/sha256")
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var digests: Set<String> = []
        for case let path as String in enumerator where path.split(separator: "/").count == 2 {
            digests.insert("sha256:" + path.split(separator: "/")[1])
        }
        return digests
    }

    /// Names of files in the fill temporary directory once running fills settled (should be
    /// empty when idle).
    func temporaryFiles() -> [String] {
        waitForFillsToSettle()
        return (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory.appendingPathComponent("tmp").path)) ?? []
    }
}
