import Logging
import Proxy
import ProxyConfig
import ProxyLogging

/// Parsers for flag values, in the same syntax as the YAML file; thrown errors become
/// ArgumentParser's "The value 'x' is invalid for '--flag <v>': reason" message.
///
/// Options whose value may start with `-` (numbers, durations) are declared with
/// `parsing: .unconditional`: ArgumentParser would otherwise read `--workers -1` as the
/// flag `-1` and report a missing value instead of saying what is wrong with `-1`.
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

    static func accessLogFormat(_ text: String) throws -> AccessLogFormat {
        guard let format = AccessLogFormat(configurationText: text) else {
            throw Invalid(description: AccessLogFormat.configurationTextChoices)
        }
        return format
    }

    static func duration(_ text: String) throws -> Duration {
        if text.hasPrefix("-") {
            throw Invalid(description: "must not be negative")
        }
        guard let duration = Duration(configurationText: text) else {
            throw Invalid(description: "expected a duration such as 250ms, 30s, 2m, 1h, 14d (bare number = seconds)")
        }
        return duration
    }

    static func byteCount(_ text: String) throws -> Int64 {
        guard let value = ByteCountText.parse(text) else {
            throw Invalid(description: "expected a size such as 200GiB, 500MB or a number of bytes (0 = no limit)")
        }
        return value
    }

    static func percentage(_ text: String) throws -> Int {
        guard let value = PercentageText.parse(text), (1...100).contains(value) else {
            throw Invalid(description: "expected a percentage from 1% to 100%, e.g. 90%")
        }
        return value
    }

    static func logLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(configurationText: text) else {
            throw Invalid(description: "expected one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }
}
