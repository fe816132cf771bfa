import Dispatch
import Foundation
import Testing
@testable import Proxy
@testable import ProxyMetrics

@Suite struct MetricsTests {
    private func renderedLines(_ metrics: Metrics) -> Set<String> {
        Set(String(decoding: metrics.renderPrometheusText(), as: UTF8.self).split(separator: "\n").map(String.init))
    }

    @Test func freshMetricsRenderPreCreatedSeriesAtZero() {
        let lines = renderedLines(Metrics())
        #expect(lines.contains("cistern_requests_total{kind=\"blob\",status=\"200\"} 0"))
        #expect(lines.contains("cistern_requests_total{kind=\"other\",status=\"504\"} 0"))
        #expect(lines.contains("cistern_cache_requests_total{outcome=\"joined\"} 0"))
        #expect(lines.contains("cistern_upstream_requests_total{method=\"HEAD\",status=\"307\"} 0"))
        #expect(lines.contains("cistern_fills_total{result=\"committed\"} 0"))
        #expect(lines.contains("cistern_fills_total{result=\"failed\"} 0"))
        #expect(lines.contains("cistern_client_bytes_sent_total 0"))
        #expect(lines.contains("cistern_connections_open 0.0"))
        #expect(!lines.contains { $0.hasPrefix("cistern_requests_total{kind=\"blob\",status=\"418\"}") })
    }

    @Test func everyFamilyHasHelpAndTypeLines() {
        let lines = renderedLines(Metrics())
        let counters = [
            "cistern_requests_total", "cistern_cache_requests_total", "cistern_client_bytes_sent_total",
            "cistern_upstream_requests_total", "cistern_fills_total",
            "cistern_digest_mismatches_total", "cistern_stale_served_total",
        ]
        for name in counters {
            #expect(lines.contains("# TYPE \(name) counter"))
            #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") })
        }
        for name in ["cistern_fills_in_flight", "cistern_connections_open"] {
            #expect(lines.contains("# TYPE \(name) gauge"))
            #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") })
        }
    }

    @Test func recordingMethodsShowUpAsExactLines() {
        let metrics = Metrics()
        metrics.requestCompleted(kind: .blob, status: 200)
        metrics.requestCompleted(kind: .blob, status: 200)
        metrics.requestCompleted(kind: .manifest, status: 418)
        metrics.cacheOutcome(.hit)
        metrics.cacheOutcome(.stale)
        metrics.cacheOutcome(.stale)
        metrics.bytesSentToClients(1000)
        metrics.bytesSentToClients(24)
        metrics.upstreamTraffic(named: "docker.io").received(4096)
        metrics.fillStarted()
        metrics.fillStarted()
        metrics.fillFinished(committed: true)
        metrics.fillStarted()
        metrics.fillFinished(committed: false)
        metrics.digestMismatch()
        metrics.upstreamRequest(method: "GET", status: 200)
        metrics.upstreamRequest(method: "HEAD", status: 404)
        metrics.upstreamRequest(method: "GET", status: 418)
        metrics.upstreamRequest(method: "PUT", status: 200)
        metrics.staleServed()
        metrics.connectionsOpened()
        metrics.connectionsOpened()
        metrics.connectionsClosed()

        let lines = renderedLines(metrics)
        let expected = [
            "cistern_requests_total{kind=\"blob\",status=\"200\"} 2",
            "cistern_requests_total{kind=\"manifest\",status=\"418\"} 1",
            "cistern_requests_total{kind=\"manifest\",status=\"200\"} 0",
            "cistern_requests_total{kind=\"blob\",status=\"404\"} 0",
            "cistern_cache_requests_total{outcome=\"hit\"} 1",
            "cistern_cache_requests_total{outcome=\"stale\"} 2",
            "cistern_cache_requests_total{outcome=\"miss\"} 0",
            "cistern_client_bytes_sent_total 1024",
            "cistern_upstream_bytes_received_total{upstream=\"docker.io\"} 4096",
            "cistern_fills_in_flight 1.0",
            "cistern_fills_total{result=\"committed\"} 1",
            "cistern_fills_total{result=\"failed\"} 1",
            "cistern_digest_mismatches_total 1",
            "cistern_upstream_requests_total{method=\"GET\",status=\"200\"} 1",
            "cistern_upstream_requests_total{method=\"HEAD\",status=\"404\"} 1",
            "cistern_upstream_requests_total{method=\"GET\",status=\"418\"} 1",
            "cistern_upstream_requests_total{method=\"PUT\",status=\"200\"} 1",
            "cistern_stale_served_total 1",
            "cistern_connections_open 1.0",
        ]
        for line in expected {
            #expect(lines.contains(line), "missing line: \(line)")
        }
    }

    @Test func lazilyCreatedSeriesAreCreatedOnceAndRenderedOnce() {
        let metrics = Metrics()
        for _ in 0..<3 { metrics.requestCompleted(kind: .tags, status: 599) }
        let text = String(decoding: metrics.renderPrometheusText(), as: UTF8.self)
        let matching = text.split(separator: "\n").filter { $0.hasPrefix("cistern_requests_total{kind=\"tags\",status=\"599\"}") }
        #expect(matching == ["cistern_requests_total{kind=\"tags\",status=\"599\"} 3"])
        #expect(text.split(separator: "\n").filter { $0 == "# TYPE cistern_requests_total counter" }.count == 1)
    }

    @Test func concurrentRecordingFromManyThreadsLosesNoIncrements() {
        let metrics = Metrics()
        let threadCount = 4
        let callsPerThread = 5_000
        DispatchQueue.concurrentPerform(iterations: threadCount) { _ in
            for call in 0..<callsPerThread {
                metrics.requestCompleted(kind: .blob, status: 200)
                metrics.requestCompleted(kind: .blob, status: 420 + call % 3)
                metrics.bytesSentToClients(2)
                metrics.connectionsOpened()
                metrics.connectionsClosed()
            }
        }
        let lines = renderedLines(metrics)
        let total = threadCount * callsPerThread
        #expect(lines.contains("cistern_requests_total{kind=\"blob\",status=\"200\"} \(total)"))
        #expect(lines.contains("cistern_client_bytes_sent_total \(2 * total)"))
        #expect(lines.contains("cistern_connections_open 0.0"))
        let lazyTotal = lines.filter { $0.hasPrefix("cistern_requests_total{kind=\"blob\",status=\"42") }
            .compactMap { Int($0.split(separator: " ").last!) }.reduce(0, +)
        #expect(lazyTotal == total)
    }

    /// The value of the unlabelled series `name`, nil when absent.
    private func value(of name: String, in lines: Set<String>) -> Double? {
        lines.first { $0.hasPrefix("\(name) ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
    }

    @Test func processGaugesReadTheDescriptorsAndMemoryThisProcessHoldsAtScrapeTime() throws {
        let metrics = Metrics()
        // Held while scraping, so each reading has a floor no other test can lower.
        let descriptors = (0..<64).map { _ in open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { descriptors.forEach { close($0) } }
        try #require(descriptors.allSatisfy { $0 >= 0 })
        let heldByteCount = 64 << 20
        let held = UnsafeMutableRawBufferPointer.allocate(byteCount: heldByteCount, alignment: 64)
        defer { held.deallocate() }
        held.initializeMemory(as: UInt8.self, repeating: 1)  // touched, so resident too

        let lines = renderedLines(metrics)
        for name in ["process_open_fds", "process_resident_memory_bytes", "cistern_heap_in_use_bytes"] {
            #expect(lines.contains("# TYPE \(name) gauge"), "\(name)")
            #expect(lines.contains { $0.hasPrefix("# HELP \(name) ") }, "\(name)")
        }
        #expect(try #require(value(of: "process_open_fds", in: lines)) >= 64 + 3)
        #expect(try #require(value(of: "process_resident_memory_bytes", in: lines)) >= Double(heldByteCount))
        if ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil {
            // The sanitizers' allocators replace malloc and do not report through mallinfo2.
            #expect(try #require(value(of: "cistern_heap_in_use_bytes", in: lines)) >= Double(heldByteCount))
        }
    }
}
