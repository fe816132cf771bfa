import Foundation
import Glibc

/// A program the tests started with `posix_spawn`, its standard output and error sent to files.
///
/// Output goes to files, never pipes, so a child can't block on a full pipe and nothing needs a
/// reader thread; `.capture` files live in a private temporary directory and are read back on
/// demand. The child gets a clean signal mask and default dispositions (test threads may block
/// or ignore signals, and both survive `exec`), stdin from `/dev/null` unless given, and no
/// descriptor of ours beyond 0-2. `stop()` is idempotent and runs from `deinit`, so a test
/// that fails or throws still ends its children: SIGTERM, then SIGKILL after `grace`.
/// Any thread may use an instance.
final class ChildProcess: @unchecked Sendable {
    // Safe because the only mutable state, `state`, sits behind a `FixtureLock`; the rest is `let`.

    /// Where the child's standard output or standard error goes.
    enum Output: Sendable {
        /// To `/dev/null`.
        case discard
        /// To a private file, read back with `standardOutput()` / `standardError()`.
        case capture
        /// Appended to this file (created when missing), so a restarted child continues it.
        case file(URL)
    }

    /// How the child ended, from `waitpid`.
    enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// `exit(code)`.
        case exited(Int32)
        /// Killed by this signal number.
        case signalled(Int32)

        /// True for `exit(0)`.
        var succeeded: Bool { self == .exited(0) }

        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    /// Errors from starting, waiting for, or checking a child.
    enum Failure: Error, CustomStringConvertible {
        /// The program is not an executable file; CI must install its package (scripts/test).
        case executableMissing(path: String)
        /// `posix_spawn` returned this errno.
        case spawnFailed(path: String, errno: Int32)
        /// The child outlived its timeout and was stopped.
        case timedOut(commandLine: String, timeout: Duration, standardError: String)
        /// The child ended other than by `exit(0)`.
        case failed(commandLine: String, termination: Termination, standardError: String)

        var description: String {
            switch self {
            case .executableMissing(let path):
                "\(path) is missing or not executable: install its Debian package (scripts/test does)"
            case .spawnFailed(let path, let code):
                "posix_spawn \(path) failed: \(String(cString: strerror(code)))"
            case .timedOut(let commandLine, let timeout, let standardError):
                "timed out after \(timeout): \(commandLine)\nstderr: \(standardError)"
            case .failed(let commandLine, let termination, let standardError):
                "\(termination): \(commandLine)\nstderr: \(standardError)"
            }
        }
    }

    /// A finished child's outcome and captured output.
    struct Result: Sendable {
        /// How it ended.
        let termination: Termination
        /// Captured standard output (empty unless `.capture`).
        let standardOutput: Data
        /// Captured standard error (empty unless `.capture`).
        let standardError: Data
    }

    /// Absolute path of the program.
    let executablePath: String
    /// Arguments after `argv[0]`.
    let arguments: [String]
    /// The child's process id; never signalled once reaped, so a reused id is never hit.
    let processID: pid_t
    /// File holding standard output, or nil for `.discard`.
    let standardOutputURL: URL?
    /// File holding standard error, or nil for `.discard`.
    let standardErrorURL: URL?

    private let captureDirectory: TemporaryDirectory?
    private let state = FixtureLock<Termination?>(nil)

    /// The program and its arguments, shell-like, for messages.
    var commandLine: String { ([executablePath] + arguments).joined(separator: " ") }

    /// Starts `executablePath` with `arguments`.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - standardInput: a file to read as stdin; nil means `/dev/null`.
    /// - Throws: `Failure.executableMissing`, `Failure.spawnFailed`, or a file-creation error.
    init(
        executablePath: String,
        arguments: [String],
        environment: [String: String]? = nil,
        standardInput: URL? = nil,
        standardOutput: Output = .capture,
        standardError: Output = .capture
    ) throws {
        guard access(executablePath, X_OK) == 0 else {
            throw Failure.executableMissing(path: executablePath)
        }
        self.executablePath = executablePath
        self.arguments = arguments
        let needsCapture: Bool
        switch (standardOutput, standardError) {
        case (.capture, _), (_, .capture): needsCapture = true
        default: needsCapture = false
        }
        let captureDirectory = needsCapture ? try TemporaryDirectory(prefix: "cistern-child") : nil
        self.captureDirectory = captureDirectory
        standardOutputURL = Self.location(of: standardOutput, name: "stdout", in: captureDirectory)
        standardErrorURL = Self.location(of: standardError, name: "stderr", in: captureDirectory)

        let environmentLines = (environment ?? ProcessInfo.processInfo.environment)
            .map { "\($0.key)=\($0.value)" }
        processID = try Self.spawn(
            path: executablePath,
            argv: [executablePath] + arguments,
            environment: environmentLines,
            standardInputPath: standardInput?.path ?? "/dev/null",
            standardOutputPath: standardOutputURL?.path ?? "/dev/null",
            standardErrorPath: standardErrorURL?.path ?? "/dev/null"
        )
    }

    deinit { stop() }

    private static func location(of output: Output, name: String, in directory: TemporaryDirectory?) -> URL? {
        switch output {
        case .discard: nil
        case .capture: directory?.appending(name)
        case .file(let url): url
        }
    }

    /// The child's termination if it has ended (reaping it), nil while it runs.
    var termination: Termination? { reap() }

    /// True until the child has ended.
    var isRunning: Bool { reap() == nil }

    /// Captured or file standard output so far (empty for `.discard` or before any output).
    func standardOutput() -> Data { standardOutputURL.flatMap { try? Data(contentsOf: $0) } ?? Data() }

    /// Captured or file standard error so far (empty for `.discard` or before any output).
    func standardError() -> Data { standardErrorURL.flatMap { try? Data(contentsOf: $0) } ?? Data() }

    /// Sends `signal` (e.g. SIGSTOP / SIGCONT) unless the child has already been reaped.
    func send(signal: Int32) {
        state.withLock { termination in
            if termination == nil { _ = kill(processID, signal) }
        }
    }

    /// Waits without blocking a thread until the child ends, polling every few milliseconds.
    /// - Throws: `Failure.timedOut` after stopping the child when it outlives `timeout`.
    @discardableResult
    func waitUntilExit(timeout: Duration) async throws -> Termination {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var pause = Duration.milliseconds(1)
        while ContinuousClock.now < deadline {
            if let termination = reap() { return termination }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
        }
        if let termination = reap() { return termination }
        stop()
        throw Failure.timedOut(
            commandLine: commandLine, timeout: timeout,
            standardError: String(decoding: standardError(), as: UTF8.self))
    }

    /// Ends the child: SIGTERM, up to `grace` to exit, then SIGKILL. Idempotent, synchronous
    /// (callable from `defer` and `deinit`), bounded by `grace` plus at most 5 s after SIGKILL.
    /// - Returns: how it ended, or nil if it could not be reaped in time (it was still SIGKILLed).
    @discardableResult
    func stop(grace: Duration = .seconds(2)) -> Termination? {
        if let termination = reap() { return termination }
        send(signal: SIGCONT)  // a SIGSTOPped child would otherwise sit on SIGTERM until SIGKILL
        send(signal: SIGTERM)
        if let termination = pollReap(for: grace) { return termination }
        send(signal: SIGKILL)
        return pollReap(for: .seconds(5))
    }

    private func pollReap(for duration: Duration) -> Termination? {
        let deadline = ContinuousClock.now.advanced(by: duration)
        var pauseMicroseconds: UInt32 = 500
        repeat {
            if let termination = reap() { return termination }
            usleep(pauseMicroseconds)
            pauseMicroseconds = min(pauseMicroseconds * 2, 20_000)
        } while ContinuousClock.now < deadline
        return reap()
    }

    /// `waitpid(WNOHANG)` under the lock, so the id is reaped once and never signalled after.
    private func reap() -> Termination? {
        state.withLock { termination in
            if let termination { return termination }
            var status: Int32 = 0
            let result = waitpid(processID, &status, WNOHANG)
            if result == processID {
                // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
                let signal = status & 0x7f
                termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            } else if result < 0 && errno == ECHILD {
                termination = .signalled(0)  // reaped by someone else; nothing left to signal
            }
            return termination
        }
    }

    /// Runs a program to completion with captured output.
    /// - Returns: its result when it exits 0.
    /// - Throws: `Failure.failed` (with its stderr) on any other ending, `Failure.timedOut`
    ///   after `timeout`, or a spawn failure.
    static func run(
        _ executablePath: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardInput: URL? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> Result {
        let child = try ChildProcess(
            executablePath: executablePath, arguments: arguments,
            environment: environment, standardInput: standardInput)
        defer { child.stop() }
        let termination = try await child.waitUntilExit(timeout: timeout)
        let result = Result(
            termination: termination,
            standardOutput: child.standardOutput(),
            standardError: child.standardError())
        guard termination.succeeded else {
            throw Failure.failed(
                commandLine: child.commandLine, termination: termination,
                standardError: String(decoding: result.standardError, as: UTF8.self))
        }
        return result
    }
}
