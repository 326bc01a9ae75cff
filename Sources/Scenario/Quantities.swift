/// Parsing of the scenario format's units: durations (`500ms`, `2s`, `1.5m`, `1h`),
/// rates (`2kbit/s`, `64kbit/s`, `1Mbit/s`) and percentages (`5%`).
enum Quantities {
    static let durationHint = "write a number and a unit: 500ms, 2s, 1.5m, 1h"
    static let rateHint = "write a number and a unit: 2kbit/s, 64kbit/s, 1Mbit/s (also bit/s, Gbit/s)"
    static let percentHint = "write a number and a percent sign: 5%, 12.5%"

    static func duration(_ text: String) -> Duration? {
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        let trimmed = text.trimmingWhitespace()
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = String(trimmed.dropLast(unit.suffix.count)).trimmingWhitespace()
            // "5ms" also ends in "s": the number must then parse cleanly, which "5m" does not.
            guard let value = decimal(number) else { continue }
            let nanoseconds = (value * unit.nanoseconds).rounded()
            guard nanoseconds < 9e18 else { return nil }
            return .nanoseconds(Int64(nanoseconds))
        }
        return nil
    }

    static func bitsPerSecond(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Double)] = [
            ("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3), ("bit/s", 1),
        ]
        let trimmed = text.trimmingWhitespace()
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = String(trimmed.dropLast(unit.suffix.count)).trimmingWhitespace()
            guard let value = decimal(number), value * unit.factor < 9e18 else { return nil }
            return Int((value * unit.factor).rounded())
        }
        return nil
    }

    static func percent(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasSuffix("%") else { return nil }
        return decimal(String(trimmed.dropLast()).trimmingWhitespace())
    }

    /// A plain non-negative decimal: digits, optionally a point and more digits. No signs, exponents or `nan`.
    static func decimal(_ text: String) -> Double? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            return nil
        }
        return Double(text)
    }

    /// A duration as the user would write it back: the largest unit that keeps it short and exact.
    static func format(_ duration: Duration) -> String {
        let nanoseconds = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        if nanoseconds != 0, nanoseconds.truncatingRemainder(dividingBy: 3600e9) == 0 {
            return "\(Int(nanoseconds / 3600e9))h"
        }
        if nanoseconds != 0, nanoseconds.truncatingRemainder(dividingBy: 60e9) == 0 {
            return "\(Int(nanoseconds / 60e9))m"
        }
        if nanoseconds.truncatingRemainder(dividingBy: 1e9) == 0 { return "\(Int(nanoseconds / 1e9))s" }
        let milliseconds = nanoseconds / 1e6
        if milliseconds == milliseconds.rounded() { return "\(Int(milliseconds))ms" }
        return "\(milliseconds)ms"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return String(slice)
    }
}
