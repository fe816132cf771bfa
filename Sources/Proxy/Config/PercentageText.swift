/// Percentages as written in Cistern's configuration file and flags
/// (`--cache-low-watermark`): `90%` or `90`.
public enum PercentageText {
    /// The whole number before an optional `%`; nil for anything else. The range a setting
    /// allows is checked where the setting is validated.
    public static func parse(_ text: String) -> Int? {
        Int(text.hasSuffix("%") ? String(text.dropLast()) : text)
    }
}
