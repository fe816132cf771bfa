import Glibc

extension ChildProcess {
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time because
    /// the Glibc module does not import `__USE_GNU` declarations.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Spawns `path` with stdin/stdout/stderr opened from the given paths (stdout and stderr in
    /// append mode), a clean signal mask, default dispositions for the signals tests touch, and
    /// every other descriptor closed, so a leftover child never holds the test runner's pipes.
    /// - Returns: the child's process id.
    /// - Throws: `Failure.spawnFailed` with the errno `posix_spawn` returned.
    static func spawn(
        path: String,
        argv: [String],
        environment: [String],
        standardInputPath: String,
        standardOutputPath: String,
        standardErrorPath: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let appendFlags = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, 0, standardInputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutputPath, appendFlags, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardErrorPath, appendFlags, 0o644)
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaulted = sigset_t()
        sigemptyset(&defaulted)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaulted, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaulted)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argvPointers = argv.map { strdup($0) } + [nil]
        let environmentPointers = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argvPointers { free(pointer) }
            for pointer in environmentPointers { free(pointer) }
        }
        var processID: pid_t = 0
        let result = posix_spawn(&processID, path, &actions, &attributes, argvPointers, environmentPointers)
        guard result == 0 else { throw Failure.spawnFailed(path: path, errno: result) }
        return processID
    }
}
