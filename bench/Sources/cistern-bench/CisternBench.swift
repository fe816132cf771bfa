import ArgumentParser
import CEpoll
import Glibc

/// `cistern-bench`: the load harness of issue 5 (load generator, counting origin, ceiling
/// server, and the suite that runs every scenario against every peer).
@main
struct CisternBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cistern-bench",
        abstract: "Load harness: measures a registry mirror against its peers.",
        subcommands: [SuiteCommand.self, LoadCommand.self, OriginCommand.self, StaticCommand.self]
    )

    /// Blocks SIGPIPE before any thread starts (writes to closed sockets then fail with EPIPE).
    static func prepareProcess() {
        cep_ignore_sigpipe()
    }

    /// Flushes stdout (scripts wait for the "listening" line even when it goes into a pipe).
    static func flushOutput() {
        fflush(nil)
    }
}
