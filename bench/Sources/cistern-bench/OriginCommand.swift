import ArgumentParser
import BenchCore

/// `cistern-bench origin`: the counting upstream registry.
struct OriginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "origin",
        abstract: "Run the counting origin registry (GET /stats for per-digest counters)."
    )

    @Option(help: "Port to listen on (127.0.0.1).")
    var port: UInt16 = 5000

    @Option(help: "Default blob rate per connection in bytes/s (0 = unthrottled); a repository name component r<n>k overrides it.")
    var rate: Int64 = 0

    @Option(help: "Sizes of the layer blobs in bytes, comma separated (seeds 1, 2, …).")
    var blobSizes: String = "1048576"

    @Option(help: "Worker threads.")
    var workers: Int = 1

    @Option(help: "Also write each layer into this directory as a file named by its digest (for the ceiling server).")
    var writeBlobsTo: String?

    func run() throws {
        CisternBench.prepareProcess()
        let sizes = blobSizes.split(separator: ",").compactMap { Int64($0) }
        let fixture = RegistryFixture(layers: RegistryFixture.layers(sizes: sizes))
        if let directory = writeBlobsTo {
            for layer in fixture.layers { _ = layer.write(toPath: directory + "/" + layer.digest) }
        }
        for layer in fixture.layers { print("layer \(layer.digest) \(layer.byteCount)") }
        print("manifest \(fixture.manifestDigest)")
        let counters = Guarded(OriginCounters())
        let server = try BenchHTTPServer(port: port, workers: workers) {
            OriginResponder(fixture: fixture, defaultRateBytesPerSecond: rate, counters: counters)
        }
        print("origin listening on 127.0.0.1:\(server.port)")
        CisternBench.flushOutput()
        server.runForever()
    }
}
