import ArgumentParser
import BenchCore

/// `cistern-bench load`: one load-generator run against any HTTP/1.1 server.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive one workload against a server and print latency percentiles and throughput."
    )

    @Option(help: "Base URL, http://127.0.0.1:PORT (IPv4 literal, plain HTTP).")
    var url: String

    @Option(name: .customLong("path"), help: "Request path; repeat for round-robin.")
    var paths: [String] = ["/v2/"]

    @Flag(help: "Send HEAD instead of GET.")
    var head = false

    @Option(help: "Range field value, e.g. bytes=-1048576.")
    var range: String?

    @Option(help: "Verify each body against this digest (sha256:<hex>); default: discard bodies.")
    var verify: String?

    @Option(help: "Concurrent connections.")
    var connections: Int = 1

    @Option(help: "Closed loop: requests per connection (default: run for --duration).")
    var requests: Int?

    @Option(help: "Seconds to issue requests (closed loop without --requests, and open loop).")
    var duration: Double = 5

    @Option(help: "Open loop: requests per second (no coordinated omission).")
    var rate: Double?

    @Option(help: "Hard time cap in seconds.")
    var cap: Double = 120

    func run() throws {
        CisternBench.prepareProcess()
        let (host, port) = try BaseURL.parse(url)
        let request = LoadRequest(method: head ? .head : .get, path: "", range: range, expectedDigest: verify)
        let requestsList = paths.map { path -> LoadRequest in var r = request; r.path = path; return r }
        var plan = LoadPlan(port: port, requests: requestsList, connections: connections,
                            mode: rate.map { .open(requestsPerSecond: $0) } ?? .closed(requestsPerConnection: requests))
        plan.host = host
        plan.durationNs = requests == nil || rate != nil ? Int64(duration * 1e9) : 0
        plan.timeCapNs = Int64(cap * 1e9)
        let result = try LoadGenerator(plan: plan).run()
        print(LoadSummaryText.describe(result))
    }
}
