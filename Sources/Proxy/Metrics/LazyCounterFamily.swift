import Prometheus
import ProxySystem

/// The rarely used members of a labeled counter family (`status="418"`, `method="PUT"`),
/// created in the registry on first use and found again without allocating.
///
/// Callers check their pre-created common counters first; this table is the slow path.
/// Any thread: the table is guarded by a `PThreadLock`.
final class LazyCounterFamily: Sendable {
    private let counters = Locked<[Key: Counter]>([:])
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let help: String
    private let firstLabel: String?

    /// The labels that identify one member; `first` is empty for families without a first label.
    private struct Key: Hashable {
        var first: String
        var status: Int
    }

    /// A family named `cistern_<name>` (e.g. `requests_total`) whose members carry a
    /// `status` label and, with `firstLabel` (`method`, `kind`), that label before it.
    init(registry: PrometheusCollectorRegistry, name: String, help: String, firstLabel: String?) {
        self.registry = registry
        self.name = name
        self.help = help
        self.firstLabel = firstLabel
    }

    /// The counter for `first` (the first label's value, ignored without one) and `status`,
    /// registering it on first use; later lookups of the same labels neither allocate nor
    /// touch the registry.
    func counter(first: String, status: Int) -> Counter {
        let key = Key(first: firstLabel == nil ? "" : first, status: status)
        return counters.withLock { counters in
            if let existing = counters[key] { return existing }
            var labels: [(String, String)] = []
            if let firstLabel { labels.append((firstLabel, first)) }
            labels.append(("status", String(status)))
            let created = registry.makeCounter(descriptor: Metrics.descriptor(name, help: help), labels: labels)
            counters[key] = created
            return created
        }
    }
}
