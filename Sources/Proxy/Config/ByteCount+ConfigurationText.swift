/// Byte sizes as written in Cistern's configuration file and flags (`--cache-max-size`).
public enum ByteCountText {
    private static let units: [(suffix: String, factor: Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1),
    ]

    /// Parses `<digits>[unit]`: `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024; also `K`, `M`, `G`,
    /// `T`), `KB`/`MB`/`GB`/`TB` (powers of 1000), `B` or no unit (bytes). Nil for anything
    /// else, a fraction, a negative number or an overflow.
    public static func parse(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let number = Int64(digits) else { return nil }
        let suffix = String(text.dropFirst(digits.count))
        if suffix.isEmpty { return number }
        guard let factor = units.first(where: { $0.suffix == suffix })?.factor else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// `byteCount` in the largest binary unit that divides it (`200GiB`, `100MiB`, `1500`).
    public static func text(_ byteCount: Int64) -> String {
        guard byteCount > 0 else { return "0" }
        for (suffix, factor) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where byteCount % factor == 0 {
            return "\(byteCount / factor)\(suffix)"
        }
        return "\(byteCount)"
    }
}
