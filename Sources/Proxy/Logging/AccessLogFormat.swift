/// How access-log lines are written (`--access-log-format`, YAML `access_log_format`); every
/// format carries the same facts (``AccessLogLine``).
public enum AccessLogFormat: String, Sendable, Equatable, CaseIterable {
    /// Space-separated fields in a fixed order, for people and `awk` (the default).
    case text
    /// One JSON object per line, for log pipelines (`jq`, Loki, Elasticsearch).
    case json
    /// `key=value` pairs, quoted where needed (logfmt, as Loki's and Grafana's parsers read it).
    case logfmt
}
