import Logging
import Proxy

/// Parsers for flag values, in the same syntax as the YAML file; thrown errors become
/// ArgumentParser's "The value 'x' is invalid for '--flag <v>': reason" message.
enum FlagValue {
    /// A flag value that does not parse; `description` is the reason shown to the operator.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func listenAddress(_ text: String) throws -> ListenAddress {
        guard let address = ListenAddress(parsing: text) else {
            throw Invalid(description: "expected HOST:PORT, [IPV6]:PORT or PORT")
        }
        return address
    }

    static func duration(_ text: String) throws -> Duration {
        guard let duration = Duration(configurationText: text) else {
            throw Invalid(description: "expected a duration such as 250ms, 30s, 2m, 1h (bare number = seconds)")
        }
        return duration
    }

    static func logLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(configurationText: text) else {
            throw Invalid(description: "expected one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }
}
