import Foundation
import Glibc
import Testing

/// Issue 14 against the `cistern` process as operators run it: `--access-log-format json`
/// lines that `jq` reads back with the right values (also for hostile targets and request
/// ids), `X-Request-ID` echoed, and `--admin-listen` taking `/metrics` off the client port.
@Suite(.serialized) struct ObservabilityProcessTests {
    /// Targets made of bytes the request line allows (VCHAR) that would break a naive JSON or
    /// text writer: quotes, backslashes, braces, `%2F`, and a would-be extra field.
    static let hostileTargets = [
        #"/v2/a"b/manifests/x"#,
        #"/v2/a\"},"status":999,"cache":"hit","x":"/blobs/y"#,
        #"/v2/a\\/b%2Fc/tags/list"#,
        #"/v2/x%0A{"time":"forged"}/manifests/1"#,
    ]

    @Test func jsonAccessLogLinesParseWithJqAndCarryTheRequestsFacts() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = Array("observability".utf8) + [UInt8](repeating: 7, count: 4000)
        let digest = upstream.addBlob(blob)
        let upstreamName = "127.0.0.1:\(upstream.port)"
        let cache = try TemporaryDirectory(prefix: "cistern-json-log")
        let port = try FreePort.loopback()
        let adminPort = try FreePort.loopback()
        let child = try ChildProcess(executablePath: CisternProcess.executablePath, arguments: [
            "serve", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)", "--cache-dir", cache.url.path,
            "--upstream", upstream.baseURL, "--workers", "2", "--access-log-format", "json",
        ])
        defer { child.stop() }
        try Self.waitForHealth(port: port, child: child)

        // A miss with the client's id, a hit with a refused id (a space and a quote) replaced by ours.
        let miss = try TestHTTPClient.fetch(port: port, "/v2/library/data/blobs/\(digest)", headers: [("X-Request-ID", "trace-abc.1")])
        #expect(miss.statusCode == 200)
        #expect(miss.body == blob)
        #expect(miss.header("X-Request-ID") == "trace-abc.1")
        // The fill commits in the background (rename on the I/O pool): the next request is a
        // hit once the blob's file is in place.
        let hex = String(digest.dropFirst("sha256:".count))
        let committedPath = cache.url.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)").path
        let committedDeadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: committedPath), ContinuousClock.now < committedDeadline {
            TestTime.sleep(.milliseconds(10))
        }
        #expect(FileManager.default.fileExists(atPath: committedPath))
        let hit = try TestHTTPClient.fetch(port: port, "/v2/library/data/blobs/\(digest)", headers: [("X-Request-ID", "a \"b")])
        #expect(hit.statusCode == 200)
        let generatedID = try #require(hit.header("X-Request-ID"))
        #expect(generatedID.wholeMatch(of: #/[0-9a-f]{16}/#) != nil, "\(generatedID)")
        for target in Self.hostileTargets {
            let response = try TestHTTPClient.fetch(port: port, target)
            #expect(response.statusCode == 400 || response.statusCode == 404, "\(target): \(response.statusCode ?? 0)")
        }
        // Control bytes and invalid UTF-8 never pass the request-line parser: a 400, logged without them.
        let rejected = try Self.rawRequest(port: port, Array("GET /v2/\u{1}\u{1B}[31m".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(rejected.hasPrefix("HTTP/1.1 400"), "\(rejected)")

        // The admin address: /metrics there, not on the client address; the probes on both.
        let publicMetrics = try TestHTTPClient.fetch(port: port, "/metrics")
        #expect(publicMetrics.statusCode == 404)
        #expect(try TestHTTPClient.fetch(port: port, "/healthz").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: adminPort, "/healthz").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: port, "/readyz").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: adminPort, "/readyz").statusCode == 200)
        #expect(try TestHTTPClient.fetch(port: adminPort, "/v2/").statusCode == 404)
        #expect(try TestHTTPClient.fetch(port: adminPort, "/v2/library/data/blobs/\(digest)").statusCode == 404)
        let scrape = try MetricsScrape(port: adminPort)
        #expect(scrape.value(#"cistern_requests_total{kind="blob",status="200"}"#) == 2)
        #expect(scrape.value(#"cistern_requests_total{kind="metrics",status="404"}"#) == 1)
        #expect(scrape.value(#"cistern_requests_total{kind="health",status="200"}"#)! >= 4)
        #expect(scrape.value(#"cistern_cache_requests_total{outcome="miss"}"#) == 1)
        #expect(scrape.value(#"cistern_cache_requests_total{outcome="hit"}"#) == 1)
        #expect(scrape.value("cistern_upstream_bytes_received_total{upstream=\"\(upstreamName)\"}") == Double(blob.count))
        #expect(scrape.value("cistern_fill_waiters") == 0)
        #expect(scrape.text.contains("# TYPE cistern_loop_lag_seconds histogram"))

        child.send(signal: SIGTERM)
        #expect(try await child.waitUntilExit(timeout: .seconds(10)) == .exited(0))
        let log = String(decoding: child.standardError(), as: UTF8.self)
        let jsonLines = log.split(separator: "\n").filter { $0.hasPrefix("{") }.map(String.init)
        // 2 blobs, the hostile targets, the rejected head, /metrics, /healthz and /readyz ×2, /v2/ and a blob on the admin port, and the scrape.
        let expectedCount = 2 + Self.hostileTargets.count + 1 + 1 + 4 + 2 + 1
        #expect(jsonLines.count >= expectedCount, "\(log)")
        for line in jsonLines {
            #expect(!line.replacing(#"\\"#, with: "").contains(#"\/"#), "a / was escaped: \(line)")
        }

        let objects = try Self.throughJq(jsonLines)
        #expect(objects.count == jsonLines.count)
        for object in objects {
            for key in ["time", "request_id", "client", "method", "target", "status", "bytes", "duration_ms", "cache", "upstream"] {
                #expect(object.keys.contains(key), "\(key) missing in \(object)")
            }
            #expect((object["time"] as? String)?.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#) != nil)
        }
        let blobLines = objects.filter { ($0["target"] as? String) == "/v2/library/data/blobs/\(digest)" && ($0["status"] as? Int) == 200 }
        #expect(blobLines.count == 2)
        let missLine = try #require(blobLines.first { ($0["cache"] as? String) == "miss" })
        #expect(missLine["request_id"] as? String == "trace-abc.1")
        #expect(missLine["upstream"] as? String == upstreamName)
        #expect(missLine["bytes"] as? Int == blob.count)
        #expect(missLine["method"] as? String == "GET")
        #expect((missLine["client"] as? String)?.hasPrefix("127.0.0.1:") == true)
        let hitLine = try #require(blobLines.first { ($0["cache"] as? String) == "hit" })
        #expect(hitLine["request_id"] as? String == generatedID)
        for target in Self.hostileTargets {
            let line = objects.first { ($0["target"] as? String) == target }
            #expect(line != nil, "no line has the target \(target)")
            #expect(line?["status"] as? Int != 999)
            #expect(line?["cache"] as? String == "none")
        }
        #expect(objects.contains { ($0["target"] as? String) == "-" && ($0["status"] as? Int) == 400 && ($0["upstream"] is NSNull) })
        #expect(objects.contains { ($0["target"] as? String) == "/metrics" && ($0["status"] as? Int) == 200 })
        #expect(objects.contains { ($0["target"] as? String) == "/metrics" && ($0["status"] as? Int) == 404 })
        #expect(Set(objects.compactMap { $0["request_id"] as? String }).count == objects.count, "request ids repeat")
    }

    /// Waits (bounded) until `/healthz` on `port` answers 200.
    static func waitForHealth(port: UInt16, child: ChildProcess) throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, child.isRunning {
            if let response = try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))),
               response.statusCode == 200 { return }
            TestTime.sleep(.milliseconds(20))
        }
        throw CisternProcess.Failure.didNotStart(port: port, standardError: String(decoding: child.standardError(), as: UTF8.self))
    }

    /// Sends `bytes` as they are, returns what comes back until the server closes (or 5 s).
    static func rawRequest(port: UInt16, _ bytes: [UInt8]) throws -> String {
        let socket = try TestSocket.connectToLoopback(port: port)
        defer { socket.close() }
        try socket.sendAll(bytes)
        var response: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            guard case .bytes(let chunk) = socket.receive(maxByteCount: 65_536, timeout: .seconds(1)) else { break }
            response += chunk
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// Runs `jq -e -c .` over `lines` (one JSON text each) and decodes its output: jq fails,
    /// and so does this, on any line that is not valid JSON.
    static func throughJq(_ lines: [String]) throws -> [[String: Any]] {
        let directory = try TemporaryDirectory(prefix: "cistern-jq")
        let input = directory.url.appendingPathComponent("access.log")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let jq = try ChildProcess(executablePath: "/usr/bin/jq", arguments: ["-e", "-c", ".", input.path])
        let deadline = ContinuousClock.now + .seconds(20)
        while jq.isRunning, ContinuousClock.now < deadline { TestTime.sleep(.milliseconds(10)) }
        #expect(jq.termination == .exited(0), "jq: \(String(decoding: jq.standardError(), as: UTF8.self))")
        let output = String(decoding: jq.standardOutput(), as: UTF8.self)
        return try output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}
