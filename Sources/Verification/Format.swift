/// Human formatting of durations and rates shared by verdict texts and renderers.
public enum Format {
    /// `850 µs`, `12.3 ms`, `4.20 s`.
    public static func duration(_ ns: UInt64) -> String {
        if ns < 1_000 { return "\(ns) ns" }
        if ns < 1_000_000 { return decimal(Double(ns) / 1_000, "µs") }
        if ns < 1_000_000_000 { return decimal(Double(ns) / 1_000_000, "ms") }
        return decimal(Double(ns) / 1_000_000_000, "s")
    }

    /// Three significant digits at most, no exponent.
    public static func decimal(_ value: Double, _ unit: String) -> String {
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return fixed(value, digits: digits) + " " + unit
    }

    /// `value` with exactly `digits` decimals, rounded half away from zero.
    public static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let sign = value < 0 && scaled > 0 ? "-" : ""
        let whole = UInt64(scaled / scale)
        guard digits > 0 else { return sign + String(whole) }
        let fraction = UInt64(scaled) - whole * UInt64(scale)
        return sign + String(whole) + "." + String(fraction).leftPadded(to: digits)
    }

    /// `1.2k`, `35.0k`, `1.20M` for counters in tight columns.
    public static func count(_ value: UInt64) -> String {
        if value < 10_000 { return String(value) }
        if value < 10_000_000 { return fixed(Double(value) / 1_000, digits: 1) + "k" }
        return fixed(Double(value) / 1_000_000, digits: 2) + "M"
    }
}
