import Testing
@testable import ProxyMetrics

/// The series issue 14 added: requests by endpoint kind, bytes by upstream, fill waiters and
/// the loop-lag histogram, rendered as Prometheus reads them.
@Suite struct ObservabilityMetricsTests {
    private func renderedLines(_ metrics: Metrics) -> [String] {
        String(decoding: metrics.renderPrometheusText(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func everyEndpointKindHasItsCommonStatusesFromTheStart() {
        let lines = Set(renderedLines(Metrics()))
        for kind in EndpointKind.allCases {
            for status in Metrics.commonClientStatuses {
                #expect(lines.contains("cistern_requests_total{kind=\"\(kind.rawValue)\",status=\"\(status)\"} 0"))
            }
        }
        #expect(!lines.contains { $0.hasPrefix("cistern_requests_total{status=") })
    }

    @Test func endpointKindIndexesAreTheirPositionsInAllCases() {
        #expect(EndpointKind.allCases.map(\.index) == Array(0..<EndpointKind.allCases.count))
    }

    @Test func requestsAreCountedUnderTheirOwnKindOnly() {
        let metrics = Metrics()
        metrics.requestCompleted(kind: .manifest, status: 200)
        metrics.requestCompleted(kind: .manifest, status: 200)
        metrics.requestCompleted(kind: .catalog, status: 404)
        metrics.requestCompleted(kind: .health, status: 503)
        let lines = Set(renderedLines(metrics))
        #expect(lines.contains("cistern_requests_total{kind=\"manifest\",status=\"200\"} 2"))
        #expect(lines.contains("cistern_requests_total{kind=\"blob\",status=\"200\"} 0"))
        #expect(lines.contains("cistern_requests_total{kind=\"catalog\",status=\"404\"} 1"))
        #expect(lines.contains("cistern_requests_total{kind=\"health\",status=\"503\"} 1"))
    }

    @Test func upstreamBytesAreCountedPerUpstreamAndTheSameNameGivesTheSameCounter() {
        let metrics = Metrics()
        let hub = metrics.upstreamTraffic(named: "docker.io")
        let ghcr = metrics.upstreamTraffic(named: "ghcr.io")
        #expect(metrics.upstreamTraffic(named: "docker.io") === hub)
        hub.received(1000)
        hub.received(24)
        ghcr.received(7)
        ghcr.received(-5)  // never lowers a counter
        let lines = Set(renderedLines(metrics))
        #expect(lines.contains("cistern_upstream_bytes_received_total{upstream=\"docker.io\"} 1024"))
        #expect(lines.contains("cistern_upstream_bytes_received_total{upstream=\"ghcr.io\"} 7"))
        #expect(lines.contains("# TYPE cistern_upstream_bytes_received_total counter"))
    }

    @Test func fillWaitersGoUpAndDownWithTheirPairs() {
        let metrics = Metrics()
        #expect(Set(renderedLines(metrics)).contains("cistern_fill_waiters 0.0"))
        metrics.fillWaiterStarted()
        metrics.fillWaiterStarted()
        metrics.fillWaiterStarted()
        metrics.fillWaiterEnded()
        let lines = Set(renderedLines(metrics))
        #expect(lines.contains("# TYPE cistern_fill_waiters gauge"))
        #expect(lines.contains("cistern_fill_waiters 2.0"))
    }

    @Test func loopLagIsAHistogramPerLoopWithBucketsFrom50MicrosecondsTo1Second() {
        let metrics = Metrics()
        let loop0 = metrics.loopLag(loop: 0)
        #expect(metrics.loopLag(loop: 0) === loop0)
        loop0.record(nanoseconds: 30_000)  // 30 µs
        loop0.record(nanoseconds: 3_000_000)  // 3 ms
        loop0.record(nanoseconds: 2_000_000_000)  // 2 s: only +Inf
        metrics.loopLag(loop: 1).record(nanoseconds: 200_000)
        let lines = Set(renderedLines(metrics))
        #expect(lines.contains("# TYPE cistern_loop_lag_seconds histogram"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"0\",le=\"5e-05\"} 1"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"0\",le=\"0.0025\"} 1"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"0\",le=\"0.005\"} 2"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"0\",le=\"1.0\"} 2"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"0\",le=\"+Inf\"} 3"))
        #expect(lines.contains("cistern_loop_lag_seconds_count{loop=\"0\"} 3"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"1\",le=\"0.00025\"} 1"))
        #expect(lines.contains("cistern_loop_lag_seconds_bucket{loop=\"1\",le=\"0.0001\"} 0"))
    }
}
