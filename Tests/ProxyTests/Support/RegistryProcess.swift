import Foundation
import Glibc

/// A real distribution 2.8 registry (`docker-registry serve config.yml`, Debian package
/// `docker-registry`) on 127.0.0.1, storing blobs on the filesystem in a temporary directory:
/// the upstream of the integration tests.
///
/// Seeding goes through `seedingBaseURL`, a second plain-HTTP, no-auth registry process on the
/// same storage, so this registry's access log (`requests()`) holds only the traffic of the code
/// under test (plus nothing else: the fixtures' own probes are filtered out). Storage has no
/// blob-descriptor cache, so both processes always read the filesystem.
/// `stop()` / `restart()` keep the port and storage ("upstream went down" tests); `suspend()` /
/// `resume()` freeze it with SIGSTOP ("upstream hangs"). Everything ends on `deinit`.
/// Any thread may use an instance.
final class RegistryProcess: @unchecked Sendable {
    // Safe because the mutable state (`running`) sits behind a `FixtureLock`; the rest is `let`.

    /// How the registry listens.
    enum Transport: Sendable, Equatable {
        /// Plain HTTP/1.1 (the default).
        case plainHTTP
        /// HTTPS with a certificate for 127.0.0.1 / localhost from a fresh test CA.
        case tls
    }

    /// How the registry authenticates clients (distribution `auth:` section).
    ///
    /// Extension point: token auth (`auth.token` with realm, service, issuer and a
    /// rootcertbundle, plus a token server fixture) would be a new case here and a new branch in
    /// `configurationYAML`; it is deliberately not implemented yet.
    enum Authentication: Sendable, Equatable {
        /// Anonymous access.
        case none
        /// HTTP Basic against an htpasswd file with one bcrypt entry (RFC 7617); unauthenticated
        /// requests get 401 with `WWW-Authenticate: Basic realm="cistern-fixture"`.
        case htpasswd(username: String, password: String)
    }

    /// Start options.
    struct Options: Sendable {
        /// Plain HTTP or TLS.
        var transport: Transport = .plainHTTP
        /// The TLS certificate's subjectAltName (openssl syntax); 127.0.0.1 and localhost
        /// must stay in it for the readiness probe.
        var certificateNames = "IP:127.0.0.1, DNS:localhost"
        /// Anonymous or htpasswd.
        var authentication: Authentication = .none
        /// Storage root to use instead of a fresh one (shared with another registry process).
        var storageDirectory: URL? = nil
        /// The binary.
        var executablePath = "/usr/bin/docker-registry"
        /// How long to wait for `GET /v2/` to answer after spawning. The registry listens
        /// within milliseconds; the slack is for a busy test process whose probes run late
        /// (sanitizer builds, where the whole suite runs several times slower, get more).
        var startTimeout: Duration = TimingAssertions.areEnabled ? .seconds(15) : .seconds(60)
        /// Whether to run the plain, anonymous seeding registry beside it.
        var runsSeedingRegistry = true

        /// The defaults: plain HTTP, anonymous, fresh storage, seeding registry on.
        init() {}
    }

    /// Errors starting or observing the registry.
    enum Failure: Error, CustomStringConvertible {
        /// The process ended before answering `GET /v2/`.
        case exitedDuringStart(termination: ChildProcess.Termination, log: String)
        /// It never answered `GET /v2/` within the start timeout.
        case didNotBecomeReady(port: UInt16, log: String)
        /// The access log kept changing, or the sync marker never appeared, within 5 s.
        case accessLogDidNotSettle(lineCount: Int)

        var description: String {
            switch self {
            case .exitedDuringStart(let termination, let log): "docker-registry ended during start (\(termination)):\n\(log)"
            case .didNotBecomeReady(let port, let log): "docker-registry on port \(port) never answered GET /v2/:\n\(log)"
            case .accessLogDidNotSettle(let lineCount): "registry access log still changing (\(lineCount) lines)"
            }
        }
    }

    /// The options it was started with.
    let options: Options
    /// Its TCP port on 127.0.0.1 (kept across `restart()`).
    let port: UInt16
    /// The test CA whose certificate clients must trust (TLS only).
    let certificateAuthority: TestCertificateAuthority?
    /// The filesystem storage root (`storage.filesystem.rootdirectory`).
    let storageDirectory: URL
    /// The generated config.yml.
    let configurationURL: URL
    /// The access log (stdout): one Combined Log Format line per response.
    let accessLogURL: URL
    /// The JSON application log (stderr), for diagnostics.
    let applicationLogURL: URL

    /// Holds config, logs, TLS files, htpasswd and (unless shared) storage; removed last.
    let workDirectory: TemporaryDirectory
    /// The plain, anonymous registry on the same storage that seeding goes to (nil if off).
    let seedingRegistry: RegistryProcess?
    /// The state that changes while the fixture lives.
    let running = FixtureLock(RunningState())

    /// What changes while the fixture lives; guarded by `running`.
    struct RunningState {
        /// The registry process, nil while stopped.
        var child: ChildProcess?
        /// True between `suspend()` and `resume()` / `stop()`.
        var isSuspended = false
        /// Access-log lines `requests()` skips (set by `resetRequestLog()`).
        var baselineLineCount = 0
        /// Sync markers sent so far, to make each marker unique.
        var markerCount = 0
    }

    /// `127.0.0.1:<port>`, the registry host as image references spell it.
    var hostAndPort: String { "127.0.0.1:\(port)" }

    /// `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`.
    var baseURL: URL { URL(string: "\(options.transport == .tls ? "https" : "http")://\(hostAndPort)")! }

    /// The CA certificate file to trust for TLS (nil for plain HTTP).
    var caCertificateURL: URL? { certificateAuthority?.caCertificateURL }

    /// Where `RegistrySeeder` pushes: the plain, anonymous sibling on the same storage, or this
    /// registry itself when started without one.
    var seedingBaseURL: URL { seedingRegistry?.baseURL ?? baseURL }

    /// Starts a registry and waits until `GET /v2/` answers (200, or 401 with auth).
    /// Retries on a new port (up to 3 times) when another process took the free port first.
    /// - Throws: `Failure`, `ChildProcess.Failure.executableMissing` when docker-registry is not
    ///   installed, or errors generating the certificates or htpasswd file.
    static func start(_ options: Options = Options()) async throws -> RegistryProcess {
        let workDirectory = try TemporaryDirectory(prefix: "cistern-registry")
        let storageDirectory = try options.storageDirectory ?? workDirectory.makeSubdirectory("storage")
        let certificateAuthority = options.transport == .tls
            ? try await TestCertificateAuthority.generate(in: workDirectory.makeSubdirectory("tls"), subjectAltName: options.certificateNames) : nil
        if case .htpasswd(let username, let password) = options.authentication {
            try HtpasswdFile.write(username: username, password: password, to: workDirectory.appending("htpasswd"))
        }
        var seedingRegistry: RegistryProcess?
        if options.runsSeedingRegistry {
            var seedingOptions = Options()
            seedingOptions.storageDirectory = storageDirectory
            seedingOptions.executablePath = options.executablePath
            seedingOptions.runsSeedingRegistry = false
            seedingRegistry = try await start(seedingOptions)
        }
        var attempt = 1
        while true {
            let registry = RegistryProcess(
                options: options, port: try FreePort.loopback(), workDirectory: workDirectory,
                storageDirectory: storageDirectory, certificateAuthority: certificateAuthority,
                seedingRegistry: seedingRegistry)
            do {
                try registry.writeConfiguration()
                try await registry.launch()
                return registry
            } catch Failure.exitedDuringStart(_, let log) where log.contains("address already in use") && attempt < 3 {
                attempt += 1
            }
        }
    }

    private init(
        options: Options, port: UInt16, workDirectory: TemporaryDirectory, storageDirectory: URL,
        certificateAuthority: TestCertificateAuthority?, seedingRegistry: RegistryProcess?
    ) {
        self.options = options
        self.port = port
        self.workDirectory = workDirectory
        self.storageDirectory = storageDirectory
        self.certificateAuthority = certificateAuthority
        self.seedingRegistry = seedingRegistry
        configurationURL = workDirectory.appending("config-\(port).yml")
        accessLogURL = workDirectory.appending("access-\(port).log")
        applicationLogURL = workDirectory.appending("registry-\(port).log")
    }

    deinit { stop() }

    /// Spawns `docker-registry serve` and waits for readiness.
    private func launch() async throws {
        // REGISTRY_* variables would override config.yml.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REGISTRY_") }
        let child = try ChildProcess(
            executablePath: options.executablePath, arguments: ["serve", configurationURL.path],
            environment: environment,
            standardOutput: .file(accessLogURL), standardError: .file(applicationLogURL))
        running.withLock { $0.child = child; $0.isSuspended = false }
        do {
            try await waitUntilReady(child)
        } catch {
            stop()
            throw error
        }
    }

    /// The registry's current process id, nil while stopped.
    var processID: pid_t? { running.withLock { $0.child?.processID } }

    /// True while the registry process runs.
    var isRunning: Bool { running.withLock { $0.child }?.isRunning ?? false }

    /// Stops the registry (SIGTERM, then SIGKILL); the port then refuses connections. Storage,
    /// logs and port are kept for `restart()`. Idempotent; the seeding registry keeps running.
    func stop() {
        let child = running.withLock { state -> ChildProcess? in
            defer { state.child = nil; state.isSuspended = false }
            return state.child
        }
        child?.stop()
    }

    /// Stops (if running) and starts the registry again on the same port, storage and logs.
    /// - Throws: `Failure` when it does not come back (e.g. the port was taken meanwhile).
    func restart() async throws {
        stop()
        try await launch()
    }

    /// Freezes the process (SIGSTOP): connections are still accepted by the kernel but never
    /// answered, like a hung upstream. Undo with `resume()`; `stop()` also resumes first.
    func suspend() {
        running.withLock { state in
            state.child?.send(signal: SIGSTOP)
            state.isSuspended = state.child != nil
        }
    }

    /// Lets a suspended process run again (SIGCONT).
    func resume() {
        running.withLock { state in
            state.child?.send(signal: SIGCONT)
            state.isSuspended = false
        }
    }

    /// The last `maxBytes` of the application log, for failure messages.
    func applicationLogTail(maxBytes: Int = 4000) -> String {
        let data = (try? Data(contentsOf: applicationLogURL)) ?? Data()
        return String(decoding: data.suffix(maxBytes), as: UTF8.self)
    }
}
