import ArgumentParser
import BenchCore

/// `cistern-bench static`: the ceiling, a plain sendfile server.
struct StaticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "static",
        abstract: "Serve files by the last path component with sendfile (the ceiling)."
    )

    @Option(help: "Port to listen on (127.0.0.1).")
    var port: UInt16 = 5001

    @Option(help: "Directory of files named by digest.")
    var directory: String

    @Option(help: "Worker threads (SO_REUSEPORT listeners).")
    var workers: Int = 2

    func run() throws {
        CisternBench.prepareProcess()
        let directory = self.directory
        let server = try BenchHTTPServer(port: port, workers: workers) { StaticFileResponder(directory: directory) }
        print("static listening on 127.0.0.1:\(server.port)")
        CisternBench.flushOutput()
        server.runForever()
    }
}
