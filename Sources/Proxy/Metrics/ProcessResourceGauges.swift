import CEpoll
import Prometheus

/// Gauges of what the whole process holds, read when `/metrics` is scraped:
/// - `process_open_fds`: open file descriptors (client and upstream sockets, cache files,
///   the loops' epoll/eventfd descriptors), the name and meaning of Prometheus's standard
///   process collector;
/// - `process_resident_memory_bytes`: resident set size, likewise standard;
/// - `cistern_heap_in_use_bytes`: bytes malloc has handed out and not had back (glibc
///   `mallinfo2`), which moves with live objects and buffers rather than with pages the
///   allocator keeps cached, so steady growth under a steady load means a leak.
///
/// Operators watch these for descriptor and memory leaks; the fault soak tests
/// (`FaultSoakTests`) assert on the same readings. Reading them costs a directory listing,
/// a small `/proc` read and a walk over malloc's arenas, so it happens per scrape, never per
/// request. Under Address or Thread Sanitizer `mallinfo2` is not backed by the allocator in
/// use and the heap gauge does not move.
struct ProcessResourceGauges: Sendable {
    private let openDescriptors: Gauge
    private let residentBytes: Gauge
    private let heapInUseBytes: Gauge

    /// Registers the three gauges in `registry`, at 0 until the first ``refresh()``.
    init(registry: PrometheusCollectorRegistry) {
        openDescriptors = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "process_open_fds", unitName: "", helpText: "Number of open file descriptors."))
        residentBytes = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "process_resident_memory_bytes", unitName: "", helpText: "Resident memory size in bytes."))
        heapInUseBytes = registry.makeGauge(
            descriptor: Metrics.descriptor(
                "heap_in_use_bytes", help: "Bytes allocated with malloc and not yet freed (glibc mallinfo2)."))
    }

    /// Reads the current values; a reading that fails (a `/proc` error) leaves its gauge as it was.
    func refresh() {
        let descriptors = cep_process_open_fds()
        if descriptors >= 0 { openDescriptors.set(descriptors) }
        let resident = cep_process_resident_bytes()
        if resident >= 0 { residentBytes.set(resident) }
        heapInUseBytes.set(cep_heap_in_use_bytes())
    }
}
