import ProxyLogging

extension AccessLogFormat {
    /// Parses a format as written in the configuration file and `--access-log-format`:
    /// `text`, `json` or `logfmt`, case-insensitively. Returns nil for anything else.
    public init?(configurationText text: String) {
        self.init(rawValue: text.lowercased())
    }

    /// The accepted spellings, for error and help messages.
    public static let configurationTextChoices = "expected one of text, json, logfmt"
}

extension YAMLMappingReader {
    /// An access-log format name (`text`, `json`, `logfmt`).
    mutating func accessLogFormat(_ key: String) throws -> AccessLogFormat? {
        guard let text = try string(key) else { return nil }
        guard let value = AccessLogFormat(configurationText: text) else {
            throw ConfigurationError.invalidValue(key: keyPath(key), value: text, reason: AccessLogFormat.configurationTextChoices)
        }
        return value
    }
}
