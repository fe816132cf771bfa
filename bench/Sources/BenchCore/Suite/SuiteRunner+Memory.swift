import Foundation

/// S4: memory per idle keep-alive connection.
extension SuiteRunner {
    /// Opens `idleConnections` connections, sends one `GET /v2/` on each, and while they
    /// sit idle compares the server's PSS with its PSS before: (after − before) ÷ open
    /// connections.
    func runIdleMemory() throws {
        let connections = settings.idleConnections
        let setting = "\(connections) idle keep-alive connections after one GET /v2/"
        var figure = Figure(scenario: "S4", setting: setting, metric: "memory per idle connection", unit: "KiB", better: .lower)
        var plan = LoadPlan(port: 0, requests: [LoadRequest(path: "/v2/")], connections: connections, mode: .closed(requestsPerConnection: 1))
        plan.timeCapNs = seconds(60)
        for target in setup.mirrors + (setup.ceiling.map { [$0] } ?? []) {
            guard let pid = target.pid else {
                figure.cells[target.name] = Figure.Cell(value: nil, note: "no pid")
                continue
            }
            try warm(target, path: "/v2/", digest: nil)
            Thread.sleep(forTimeInterval: 0.5)
            let before = ProcessMemory.proportionalBytes(ofTree: pid) ?? 0
            var perConnection: Double?
            var openCount = 0
            let (result, _) = try measure("S4", setting, target, plan) { open in
                // Let the server settle (deferred frees, lazily grown buffers) before reading.
                Thread.sleep(forTimeInterval: 1)
                let after = ProcessMemory.proportionalBytes(ofTree: pid) ?? 0
                openCount = open
                if open > 0 { perConnection = Double(after - before) / Double(open) / 1024 }
            }
            var entry = cell(result, perConnection, expected: connections)
            if openCount < connections { entry.note = "\(openCount) stayed open" }
            figure.cells[target.name] = entry
            Thread.sleep(forTimeInterval: 1)  // let the server reap the closed connections
        }
        add(figure)
    }
}
