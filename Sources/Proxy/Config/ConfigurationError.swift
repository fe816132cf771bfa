/// Why a configuration (YAML file, command-line flags or their merge) was rejected.
///
/// Every case names the offending key as a path in the YAML file's terms
/// (`timeouts.request_head`, `upstreams[1].url`) or, for a flag, the flag itself
/// (`--upstream`), so an operator can find the typo without reading code.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key that Cistern does not know; typos must not pass silently.
    case unknownKey(key: String)
    /// A key that must be present (for example an upstream's `url`) is absent.
    case missingKey(key: String)
    /// The same key appears twice in one mapping.
    case duplicateKey(key: String)
    /// A value that is present but unusable; `reason` says what was expected.
    case invalidValue(key: String, value: String, reason: String)
    /// The configuration file named by `--config` could not be read.
    case unreadableConfigurationFile(path: String, reason: String)
    /// The configuration file is not well-formed YAML (Yams' message, with line and column).
    case malformedYAML(reason: String)

    /// A one-line message for the operator, starting with the key it is about.
    public var description: String {
        switch self {
        case .unknownKey(let key):
            return "\(key): unknown key"
        case .missingKey(let key):
            return "\(key): required key is missing"
        case .duplicateKey(let key):
            return "\(key): key appears more than once"
        case .invalidValue(let key, let value, let reason):
            return "\(key): invalid value \"\(value)\": \(reason)"
        case .unreadableConfigurationFile(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        case .malformedYAML(let reason):
            return "configuration file is not valid YAML: \(reason)"
        }
    }

    /// The same error with its key rewritten, so a value checked in isolation
    /// (an upstream's `url`) can be reported under the path it came from
    /// (`upstreams[2].url`, or `--upstream`).
    func renamingKey(_ rename: (String) -> String) -> ConfigurationError {
        switch self {
        case .unknownKey(let key): return .unknownKey(key: rename(key))
        case .missingKey(let key): return .missingKey(key: rename(key))
        case .duplicateKey(let key): return .duplicateKey(key: rename(key))
        case .invalidValue(let key, let value, let reason):
            return .invalidValue(key: rename(key), value: value, reason: reason)
        case .unreadableConfigurationFile, .malformedYAML:
            return self
        }
    }
}
