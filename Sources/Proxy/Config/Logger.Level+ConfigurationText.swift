import Logging

extension Logger.Level {
    /// Parses a level as written in the configuration file and `--log-level`:
    /// `trace`, `debug`, `info`, `notice`, `warning` (or `warn`), `error`, `critical`,
    /// case-insensitively. Returns nil for anything else.
    public init?(configurationText text: String) {
        let lowered = text.lowercased()
        if lowered == "warn" {
            self = .warning
            return
        }
        self.init(rawValue: lowered)
    }

    /// The accepted spellings, for error and help messages.
    static let configurationTextChoices = "expected one of trace, debug, info, notice, warning, error, critical"
}
