import Foundation
import Glibc
import Testing

/// The process fixture itself: output capture, exit statuses, timeouts and teardown.
@Suite struct ChildProcessTests {
    @Test func runCapturesStandardOutputAndErrorSeparately() async throws {
        let result = try await ChildProcess.run("/bin/sh", ["-c", "printf out; printf err >&2"])
        #expect(result.termination == .exited(0))
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "out")
        #expect(String(decoding: result.standardError, as: UTF8.self) == "err")
    }

    @Test func runPassesTheGivenEnvironmentOnly() async throws {
        let result = try await ChildProcess.run("/bin/sh", ["-c", "printf \"$ONLY:${HOME:-unset}\""], environment: ["ONLY": "yes"])
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "yes:unset")
    }

    @Test func runThrowsWithStandardErrorOnNonZeroExit() async throws {
        let failure = await #expect(throws: ChildProcess.Failure.self) {
            try await ChildProcess.run("/bin/sh", ["-c", "echo broken >&2; exit 3"])
        }
        guard case .failed(_, let termination, let standardError)? = failure else {
            Issue.record("expected .failed, got \(String(describing: failure))")
            return
        }
        #expect(termination == .exited(3))
        #expect(standardError == "broken\n")
    }

    @Test func missingExecutableFailsWithAnInstallHint() async throws {
        let failure = await #expect(throws: ChildProcess.Failure.self) {
            try await ChildProcess.run("/usr/bin/definitely-not-installed", [])
        }
        #expect(failure?.description.contains("install its Debian package") == true)
    }

    @Test func waitPastTimeoutTerminatesTheChildAndThrows() async throws {
        // The child outlives any wait, so a late wake-up (a starved task pool under a sanitizer)
        // cannot let it finish on its own: only the timeout's SIGTERM can end it.
        let child = try ChildProcess(executablePath: "/bin/sleep", arguments: ["600"])
        let started = ContinuousClock.now
        await #expect(throws: ChildProcess.Failure.self) { try await child.waitUntilExit(timeout: .milliseconds(200)) }
        #expect(child.termination == .signalled(SIGTERM))
        if TimingAssertions.areEnabled {
            // Generous: the CI machine may be busy.
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func stopEscalatesToSIGKILLWhenSIGTERMIsIgnored() async throws {
        // The ignored disposition survives exec, so sleep itself ignores SIGTERM.
        let child = try ChildProcess(executablePath: "/bin/sh", arguments: ["-c", "trap '' TERM; exec /bin/sleep 600"])
        // Wait for the exec (the trap is in place by then) rather than a fixed pause, which a
        // busy machine can outrun.
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? String(contentsOfFile: "/proc/\(child.processID)/comm", encoding: .utf8)) != "sleep\n" {
            try #require(ContinuousClock.now < deadline, "the shell never exec'd sleep")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(child.stop(grace: .milliseconds(200)) == .signalled(SIGKILL))
        #expect(child.stop() == .signalled(SIGKILL))  // idempotent
    }

    @Test func releasingTheObjectEndsTheChild() async throws {
        var child: ChildProcess? = try ChildProcess(executablePath: "/bin/sleep", arguments: ["30"])
        let processID = try #require(child?.processID)
        #expect(kill(processID, 0) == 0)
        child = nil
        #expect(kill(processID, 0) == -1)
    }

    @Test func fileOutputIsAppendedAcrossRuns() async throws {
        let directory = try TemporaryDirectory()
        let log = directory.appending("out.log")
        for word in ["one", "two"] {
            let child = try ChildProcess(executablePath: "/bin/echo", arguments: [word], standardOutput: .file(log))
            #expect(try await child.waitUntilExit(timeout: .seconds(5)) == .exited(0))
        }
        #expect(try String(contentsOf: log, encoding: .utf8) == "one\ntwo\n")
    }

    @Test func standardInputComesFromTheGivenFile() async throws {
        let directory = try TemporaryDirectory()
        let input = directory.appending("in.txt")
        try Data("hello".utf8).write(to: input)
        let result = try await ChildProcess.run("/bin/cat", [], standardInput: input)
        #expect(result.standardOutput == Data("hello".utf8))
    }

    @Test func freePortIsOnLoopbackAndNonZero() throws {
        let first = try FreePort.loopback()
        #expect(first > 0)
    }

    @Test func temporaryDirectoryIsRemovedOnRelease() throws {
        var directory: TemporaryDirectory? = try TemporaryDirectory()
        let path = try #require(directory?.path)
        try Data("x".utf8).write(to: try #require(directory).appending("file"))
        #expect(FileManager.default.fileExists(atPath: path))
        directory = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
