import Foundation
import Yams

/// Reads typed values out of profile YAML nodes, reporting each problem at its node.
struct ProfileValues {
    let diagnostics: ProfileDiagnostics

    /// The keys of a mapping, checked against `allowed` (each unknown key reported with a hint).
    func mapping(_ node: Node, _ what: String, allowed: [String]) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "\(what) must be a mapping, found \(node.describedKind)",
                               hint: "allowed keys: " + allowed.joined(separator: ", "))
            return nil
        }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalarText else {
                diagnostics.report(key, "keys in \(what) must be plain words, found \(key.describedKind)")
                continue
            }
            guard allowed.contains(name) else {
                diagnostics.report(key, "unknown key `\(name)` in \(what)", hint: ProfileDiagnostics.hint(for: name, in: allowed))
                continue
            }
            entries[name] = value
        }
        return entries
    }

    func required(_ entries: [String: Node], _ key: String, in node: Node, _ what: String) -> Node? {
        if let value = entries[key] { return value }
        diagnostics.report(node, "\(what) is missing `\(key)`")
        return nil
    }

    func string(_ node: Node, _ what: String) -> String? {
        guard let text = node.scalarText, !text.isEmpty else {
            diagnostics.report(node, "\(what) must be a non-empty string, found \(node.describedKind)")
            return nil
        }
        return text
    }

    func boolean(_ node: Node, _ what: String) -> Bool? {
        switch plainScalar(node) {
        case "true": return true
        case "false": return false
        default:
            diagnostics.report(node, "\(what) must be true or false, found \(node.describedKind)")
            return nil
        }
    }

    func integer<Value: FixedWidthInteger>(_ node: Node, _ what: String, as type: Value.Type, minimum: Value = 0) -> Value? {
        guard let text = plainScalar(node), let value = Value(text.replacingOccurrences(of: "_", with: "")),
              value >= minimum
        else {
            diagnostics.report(node, "\(what) must be a whole number from \(minimum) to \(Value.max), found \(node.describedKind)")
            return nil
        }
        return value
    }

    /// Bytes: a whole number, or one with `B`, `KB`/`MB` (10³, 10⁶) or `KiB`/`MiB` (2¹⁰, 2²⁰), e.g. `512 KiB`.
    func size<Value: FixedWidthInteger>(_ node: Node, _ what: String, as type: Value.Type) -> Value? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("KB", 1000), ("MB", 1_000_000), ("B", 1)]
        if let text = plainScalar(node) {
            var number = text
            var multiplier = 1
            if let unit = units.first(where: { text.hasSuffix($0.0) }) {
                number = String(text.dropLast(unit.0.count)).trimmingCharacters(in: .whitespaces)
                multiplier = unit.1
            }
            if let count = Int(number), count >= 0, case let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier),
               !overflow, let value = Value(exactly: bytes) {
                return value
            }
        }
        diagnostics.report(node, "\(what) must be a size in bytes, found \(node.describedKind)",
                           hint: "write e.g. 524288, 512 KiB or 1 MB (up to \(Value.max) bytes)")
        return nil
    }

    /// Seconds: a number, or one with `s`, `m` or `h`, e.g. `1160`, `60s`, `1h`.
    func seconds(_ node: Node, _ what: String, maximum: Double = Double(UInt32.max)) -> Double? {
        if let text = plainScalar(node) {
            let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1)]
            var number = text
            var multiplier = 1.0
            if let unit = units.first(where: { text.hasSuffix($0.0) }) {
                number = String(text.dropLast())
                multiplier = unit.1
            }
            if let value = Double(number), value.isFinite, value >= 0, value * multiplier <= maximum {
                return value * multiplier
            }
        }
        diagnostics.report(node, "\(what) must be a duration, found \(node.describedKind)",
                           hint: "write seconds (60), or with a unit: 60s, 10m, 1h (at most \(Int(maximum)) s)")
        return nil
    }

    /// Whole seconds, for the fields the wire carries as integers.
    func wholeSeconds<Value: FixedWidthInteger>(_ node: Node, _ what: String, as type: Value.Type) -> Value? {
        guard let seconds = seconds(node, what, maximum: Double(Value.max)) else { return nil }
        guard seconds == seconds.rounded(.down) else {
            diagnostics.report(node, "\(what) must be whole seconds, found \(node.describedKind)")
            return nil
        }
        return Value(seconds)
    }

    func choice<Value>(_ node: Node, _ what: String, _ choices: KeyValuePairs<String, Value>) -> Value? {
        if let text = node.scalarText, let match = choices.first(where: { $0.key == text }) { return match.value }
        let names = choices.map(\.key)
        diagnostics.report(node, "\(what) must be one of \(names.joined(separator: ", ")), found \(node.describedKind)",
                           hint: node.scalarText.map { ProfileDiagnostics.hint(for: $0, in: names) })
        return nil
    }

    func list(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            diagnostics.report(node, "\(what) must be a list, found \(node.describedKind)", hint: "write [a, b] or one `- item` per line")
            return nil
        }
        return Array(sequence)
    }

    /// `none` (written out, so that a forgotten value is not silently "no limit").
    func isNone(_ node: Node) -> Bool { plainScalar(node) == "none" }

    private func plainScalar(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return nil }
        return scalar.string
    }
}
