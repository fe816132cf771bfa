import Foundation
import Glibc
import Testing

/// The `cistern` executable (built next to the test bundle) running as its own process, as
/// operators run it: `serve` on a free loopback port with a given upstream and cache.
///
/// Used where the process itself is the subject: signals and `kill -9`
/// (`ProcessLifecycleTests`), and what it holds after many faults (`FaultSoakTests`), read
/// from `/proc/<pid>` so that nothing of the test process is counted. `stop()` (also run on
/// deinit) sends SIGTERM, then SIGKILL. Any thread may use an instance.
final class CisternProcess: Sendable {
    /// The child.
    let child: ChildProcess
    /// The port it serves on, on 127.0.0.1.
    let port: UInt16
    private let stopped = Locked(false)

    /// What the process holds at one moment.
    struct Resources: Sendable, CustomStringConvertible {
        /// Entries of `/proc/<pid>/fd`.
        let openDescriptors: Int
        /// Resident set size in bytes (`/proc/<pid>/statm`).
        let residentBytes: Int
        /// `cistern_heap_in_use_bytes` from `/metrics` (glibc `mallinfo2`; 0 under ASan).
        let heapInUseBytes: Int

        var description: String {
            "\(openDescriptors) fds, RSS \(residentBytes / 1024) KiB, heap \(heapInUseBytes / 1024) KiB"
        }
    }

    /// Errors starting or reading the process.
    enum Failure: Error, CustomStringConvertible {
        /// `/healthz` never answered 200 within the timeout.
        case didNotStart(port: UInt16, standardError: String)
        /// A `/proc` file or `/metrics` could not be read or parsed.
        case unreadable(String)

        var description: String {
            switch self {
            case .didNotStart(let port, let standardError): "cistern on port \(port) did not start; stderr: \(standardError)"
            case .unreadable(let what): "could not read \(what)"
            }
        }
    }

    /// The `cistern` executable next to this test bundle (on Linux the bundle is
    /// `<build>/debug/cisternPackageTests.xctest`, a file, so the search walks up from it).
    static var executablePath: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("cistern").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("cistern").path
    }

    /// Starts `cistern serve` and waits until `/healthz` answers 200.
    /// - Parameters:
    ///   - upstream: the upstream URL (`--upstream`).
    ///   - cache: the cache directory (`--cache-dir`).
    ///   - port: the port to listen on; a free one when nil.
    ///   - extraArguments: more flags, e.g. `["--upstream-read-timeout", "200ms"]`. They come
    ///     after `--drain-delay 0s --drain-timeout 1500ms` (so `stop()`'s SIGTERM ends the process
    ///     within its grace period) and override them: the last value of a flag wins.
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - tlsCAFile: with a TLS listen address (`--tls-*` in `extraArguments`), the CA to
    ///     probe `/healthz` over TLS with.
    /// - Throws: `Failure.didNotStart` after `startTimeout`, or a spawn error.
    init(upstream: String, cache: URL, port: UInt16? = nil, extraArguments: [String] = [],
         environment: [String: String]? = nil, tlsCAFile: String? = nil, startTimeout: Duration = .seconds(20)) throws {
        let port = try port ?? FreePort.loopback()
        self.port = port
        child = try ChildProcess(executablePath: Self.executablePath, arguments: [
            "serve", "--listen", "127.0.0.1:\(port)", "--upstream", upstream, "--cache-dir", cache.path,
            "--workers", "2", "--no-access-log", "--drain-delay", "0s", "--drain-timeout", "1500ms",
        ] + extraArguments, environment: environment)
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline, child.isRunning {
            if let tlsCAFile {
                if let client = try? TestTLSClient(port: port, caFile: tlsCAFile, timeout: .seconds(1)),
                   (try? client.request("/healthz"))?.statusCode == 200 { return }
            } else if let response = try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))),
                      response.statusCode == 200 { return }
            usleep(20_000)
        }
        let standardError = String(decoding: child.standardError(), as: UTF8.self)
        child.stop()
        throw Failure.didNotStart(port: port, standardError: standardError)
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL after the grace period; idempotent. Under a sanitizer
    /// (`CISTERN_SANITIZER`) the child is a sanitized build that reports to its own standard
    /// error, out of `scripts/sanitize`'s sight: its reports are recorded as issues here.
    @discardableResult
    func stop() -> ChildProcess.Termination? {
        let termination = child.stop()
        let firstStop = stopped.withLock { stopped in defer { stopped = true }; return !stopped }
        if firstStop, ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] != nil {
            let standardError = String(decoding: child.standardError(), as: UTF8.self)
            let reports = standardError.split(separator: "\n").filter {
                $0.contains("WARNING: ThreadSanitizer") || $0.contains("ERROR: AddressSanitizer") || $0.contains("ERROR: LeakSanitizer")
                    || $0.hasPrefix("SUMMARY: ")
            }
            if !reports.isEmpty {
                Issue.record("cistern (pid \(child.processID)) reported under the sanitizer:\n\(standardError.suffix(20_000))")
            }
        }
        return termination
    }

    /// Reads the process's descriptors, resident memory and heap now.
    /// - Throws: `Failure.unreadable` when `/proc` or `/metrics` cannot be read.
    func resources() throws -> Resources {
        let processID = child.processID
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(processID)/fd") else {
            throw Failure.unreadable("/proc/\(processID)/fd")
        }
        guard let statm = try? String(contentsOfFile: "/proc/\(processID)/statm", encoding: .utf8),
              let residentPages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw Failure.unreadable("/proc/\(processID)/statm") }
        guard let heap = try metric("cistern_heap_in_use_bytes") else {
            throw Failure.unreadable("cistern_heap_in_use_bytes in /metrics")
        }
        return Resources(
            openDescriptors: descriptors.count, residentBytes: residentPages * Int(sysconf(Int32(_SC_PAGESIZE))),
            heapInUseBytes: Int(heap))
    }

    /// The value of the series `name` on `/metrics`, nil when absent.
    /// - Throws: a socket error.
    func metric(_ name: String) throws -> Double? {
        try MetricsScrape(port: port).value(name)
    }
}
