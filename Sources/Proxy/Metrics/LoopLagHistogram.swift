import Prometheus
import ProxySystem

/// `cistern_loop_lag_seconds{loop}` of one event loop: how long events that were ready
/// waited before the loop handled them, sampled by the loop's lag probe (see
/// `LoopLagProbe`: a periodic timer whose expiry is an epoll event like any other).
///
/// Buckets from 50 µs to 1 s: an idle loop answers within tens of microseconds (the kernel's
/// timer slack is 50 µs); a loop that is busy with a large batch of events, or blocked by a
/// slow handler, shows up in the millisecond buckets. Each loop records into its own series
/// (no contention between loops); a record takes the histogram's lock and allocates nothing.
public final class LoopLagHistogram: Sendable {
    /// Upper bounds of the buckets, in seconds.
    static let bucketBounds: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]

    private let histogram: ValueHistogram

    init(histogram: ValueHistogram) {
        self.histogram = histogram
    }

    /// An event waited `nanoseconds` between becoming ready and being handled.
    public func record(nanoseconds: Int64) {
        histogram.record(Double(max(0, nanoseconds)) / 1_000_000_000)
    }
}

/// The lag histograms by loop index. Any thread (a lock guards the table, taken only when a
/// loop is set up).
final class LoopLagHistograms: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let histograms = Locked<[Int: LoopLagHistogram]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The histogram of loop `index`, created on the first call.
    func histogram(loop index: Int) -> LoopLagHistogram {
        histograms.withLock { histograms in
            if let existing = histograms[index] { return existing }
            let created = LoopLagHistogram(histogram: registry.makeValueHistogram(
                descriptor: Metrics.descriptor(
                    "loop_lag_seconds", help: "Time from an event being ready to the event loop handling it (periodic probe)."),
                labels: [("loop", String(index))], buckets: LoopLagHistogram.bucketBounds))
            histograms[index] = created
            return created
        }
    }
}
