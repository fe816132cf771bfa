/// Number formatting for the report: ratios ("0.93×"), fixed decimals, and the
/// Cistern ÷ peer ratio with the direction that counts as a win.
public enum Ratio {
    /// Whether a smaller or a larger value of a figure is better.
    public enum Better: String, Sendable { case lower, higher }

    /// `value` with `decimals` digits after the point (no Foundation): 1.23456, 2 → "1.23".
    public static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let sign = value < 0 && rounded > 0 ? "-" : ""
        let whole = Int(rounded / scale)
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = Int(rounded - Double(whole) * scale)
        var fractionText = String(fraction)
        while fractionText.count < decimals { fractionText = "0" + fractionText }
        return "\(sign)\(whole).\(fractionText)"
    }

    /// `numerator ÷ denominator` as "1.23×" (2 decimals), or "n/a" when either is missing
    /// or the denominator is zero.
    public static func format(_ numerator: Double?, over denominator: Double?) -> String {
        guard let value = value(numerator, over: denominator) else { return "n/a" }
        return fixed(value, 2) + "×"
    }

    /// `format(_:over:)`, except that a denominator below `floor` (in the figure's unit) gives
    /// "n/a (≈0)": dividing by a near-zero ceiling (a hot sendfile server's TTLB ÷ a cold
    /// download, 0.00) would print a meaningless "252.46×".
    public static func format(_ numerator: Double?, over denominator: Double?, floor: Double) -> String {
        if let denominator, abs(denominator) < floor { return "n/a (≈0)" }
        return format(numerator, over: denominator)
    }

    /// `numerator ÷ denominator`, or nil when either is missing or the denominator is zero.
    public static func value(_ numerator: Double?, over denominator: Double?) -> Double? {
        guard let numerator, let denominator, denominator != 0, numerator.isFinite, denominator.isFinite else { return nil }
        return numerator / denominator
    }

    /// Whether Cistern's `cistern` beats `other` for a figure where `better` wins.
    public static func wins(_ cistern: Double, against other: Double, better: Better) -> Bool {
        better == .lower ? cistern <= other : cistern >= other
    }

    /// The best of `values` for a figure where `better` wins (nil when empty).
    public static func best(_ values: [Double], better: Better) -> Double? {
        better == .lower ? values.min() : values.max()
    }
}
