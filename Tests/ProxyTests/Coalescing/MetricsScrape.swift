/// One scrape of Cistern's `/metrics` (Prometheus text exposition format 0.0.4), read the way
/// a monitoring system would: over HTTP, sample lines `name{labels} value`.
struct MetricsScrape {
    /// The exposition text.
    let text: String

    /// Fetches `GET /metrics` from the Cistern on 127.0.0.1:`port`.
    /// - Throws: `TestSocketError` from connecting or sending.
    init(port: UInt16) throws {
        let response = try TestHTTPClient.fetch(port: port, "/metrics")
        text = response.bodyText
    }

    /// The value of the sample whose series (name plus labels exactly as rendered, e.g.
    /// `cistern_fills_total{result="failed"}`) is `series`; nil when there is no such line.
    func value(_ series: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == series { return Double(parts[1]) }
        }
        return nil
    }
}
