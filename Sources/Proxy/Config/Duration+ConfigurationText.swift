extension Duration {
    /// Parses a duration as written in Cistern's configuration file and flags.
    ///
    /// Grammar: one or more `<digits><unit>` pairs with unit `ms`, `s`, `m`, `h` or `d`
    /// (`250ms`, `30s`, `2m`, `1h`, `1m30s`, `14d`), or bare digits, which mean **seconds**
    /// (`30` = 30 s, as in most YAML configs). Precision is one millisecond; negative
    /// values, fractions and anything above ~292 million years are rejected (returns nil).
    public init?(configurationText text: String) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard let seconds = Int64(text), seconds <= Int64.max / 1000 else { return nil }
            self = .seconds(seconds)
            return
        }
        var totalMilliseconds: Int64 = 0
        var index = 0
        while index < bytes.count {
            var number: Int64 = 0
            let numberStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (shifted, overflowShift) = number.multipliedReportingOverflow(by: 10)
                let (added, overflowAdd) = shifted.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                guard !overflowShift, !overflowAdd else { return nil }
                number = added
                index += 1
            }
            guard index > numberStart else { return nil }
            let unitStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "a"), bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
            let millisecondsPerUnit: Int64
            switch String(decoding: bytes[unitStart..<index], as: UTF8.self) {
            case "ms": millisecondsPerUnit = 1
            case "s": millisecondsPerUnit = 1000
            case "m": millisecondsPerUnit = 60_000
            case "h": millisecondsPerUnit = 3_600_000
            case "d": millisecondsPerUnit = 86_400_000
            default: return nil
            }
            let (part, overflowMultiply) = number.multipliedReportingOverflow(by: millisecondsPerUnit)
            let (sum, overflowSum) = totalMilliseconds.addingReportingOverflow(part)
            guard !overflowMultiply, !overflowSum else { return nil }
            totalMilliseconds = sum
        }
        self = .milliseconds(totalMilliseconds)
    }

    /// This duration in the configuration syntax at millisecond precision: whole hours as
    /// `h`, whole minutes from ten minutes up as `m`, other whole seconds as `s` (so
    /// timeouts read `60s`, not `1m`), anything else as `ms`; zero is `0s`. Sub-millisecond
    /// parts are truncated. Round-trips through ``init(configurationText:)``.
    public var configurationText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0 && milliseconds >= 600_000 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}
