import Foundation
import Testing

/// `workers: 0` counts the CPUs of the process's affinity mask whatever the kernel's CPU
/// limit: a kernel built for more than 1,024 possible CPUs answers a fixed 1,024-bit
/// `cpu_set_t` with EINVAL, and the count must not fall back to every online CPU.
@Suite struct LoopCountTests {
    /// A `sched_getaffinity` that refuses masks under 2,048 bits, as such a kernel does
    /// (`kernel/sched/core.c`: `len * BITS_PER_BYTE < nr_cpu_ids` is EINVAL).
    static let wideKernelShim = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <errno.h>
        #include <sched.h>
        int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set) {
            if (size < 256) { errno = EINVAL; return -1; }
            int (*real)(pid_t, size_t, cpu_set_t *) = (int (*)(pid_t, size_t, cpu_set_t *))dlsym(RTLD_NEXT, "sched_getaffinity");
            return real(pid, size, set);
        }
        """

    /// The toolchain's clang (next to `swift`), which builds the shim.
    static var clangPath: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/opt/swift/usr/bin"]
        return directories.map { $0 + "/clang" }.first { access($0, X_OK) == 0 }
    }

    @Test func aKernelWithMoreThan1024PossibleCPUsStillCountsTheAffinityMask() async throws {
        let work = try TemporaryDirectory()
        let source = work.appending("wide-kernel.c")
        let shim = work.appending("wide-kernel.so")
        try Data(Self.wideKernelShim.utf8).write(to: source)
        _ = try await ChildProcess.run(try #require(Self.clangPath), ["-shared", "-fPIC", "-o", shim.path, source.path, "-ldl"])
        let file = work.appending("not-a-directory")
        try Data().write(to: file)
        let cpu = try #require(ProcessStartupTests.firstAllowedCPU())
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = shim.path
        let child = try ChildProcess(executablePath: "/usr/bin/taskset", arguments: [
            "-c", "\(cpu)", CisternProcess.executablePath, "serve", "--listen", "127.0.0.1:0",
            "--cache-dir", file.path + "/cache", "--upstream", "http://127.0.0.1:9",
        ], environment: environment)
        defer { child.stop() }
        #expect(try await child.waitUntilExit(timeout: .seconds(20)) == .exited(1))
        let starting = String(decoding: child.standardError(), as: UTF8.self)
            .split(separator: "\n").first { $0.contains(" cistern: starting ") } ?? ""
        #expect(starting.contains(" loops=1 "), "\(starting)")
    }
}
