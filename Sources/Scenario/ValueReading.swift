import Yams

/// Typed reads of YAML values. Each returns nil after reporting when the value is of the wrong type or out of range.
extension Diagnostics {
    func string(_ node: Node, _ key: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            report(node, "`\(key)` must be text, found \(node.kindDescription)")
            return nil
        }
        if !allowEmpty, scalar.string.isEmpty {
            report(node, "`\(key)` must not be empty")
            return nil
        }
        return scalar.string
    }

    func integer(_ node: Node, _ key: String, in range: ClosedRange<Int>, hint: String? = nil) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string.trimmingWhitespace()) else {
            report(node, "`\(key)` must be a whole number, found \(node.kindDescription)", hint: hint)
            return nil
        }
        guard range.contains(value) else {
            report(node, "`\(key)` is \(value), \(Self.describe(range))", hint: hint)
            return nil
        }
        return value
    }

    func qos(_ node: Node, _ key: String = "qos", max: Int = 2, why: String? = nil) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string.trimmingWhitespace()) else {
            report(node, "`\(key)` must be 0, 1 or 2, found \(node.kindDescription)")
            return nil
        }
        guard (0...max).contains(value) else {
            let allowed = (0...max).map(String.init).joined(separator: ", ")
            let problem = value > 2 || value < 0
                ? "`\(key)` \(value) is not a valid QoS" : "`\(key)` \(value) is above \(why ?? "the maximum") (\(max))"
            report(node, problem, hint: "allowed values: \(allowed)")
            return nil
        }
        return value
    }

    func number(_ node: Node, _ key: String, in range: ClosedRange<Double>) -> Double? {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string.trimmingWhitespace()),
              value.isFinite else {
            report(node, "`\(key)` must be a number, found \(node.kindDescription)")
            return nil
        }
        guard range.contains(value) else {
            report(node, "`\(key)` is \(value), it must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    func boolean(_ node: Node, _ key: String) -> Bool? {
        guard case .scalar(let scalar) = node else {
            report(node, "`\(key)` must be true or false, found \(node.kindDescription)")
            return nil
        }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(node, "`\(key)` must be true or false, found \(node.kindDescription)", hint: "allowed values: true, false")
            return nil
        }
    }

    /// A duration such as `500ms`, `2s`, `1.5m`, `1h`; `positive` rejects zero.
    func duration(_ node: Node, _ key: String, positive: Bool = false) -> Duration? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            report(node, "`\(key)` must be a duration, found \(node.kindDescription)", hint: Quantities.durationHint)
            return nil
        }
        guard let value = Quantities.duration(scalar.string) else {
            let problem = Quantities.decimal(scalar.string) != nil
                ? "`\(key)` `\(scalar.string)` has no unit" : "`\(key)` `\(scalar.string)` is not a duration"
            report(node, problem, hint: Quantities.durationHint)
            return nil
        }
        if positive, value == .zero {
            report(node, "`\(key)` must be longer than 0s", hint: "use a positive duration such as 1s")
            return nil
        }
        return value
    }

    /// A duration the protocol carries in whole seconds (keep-alive, session and message expiry, will delay).
    func wholeSeconds(_ node: Node, _ key: String, max: Int64) -> Duration? {
        guard let value = duration(node, key) else { return nil }
        guard value.components.attoseconds == 0 else {
            report(node, "`\(key)` must be whole seconds (MQTT carries it in seconds)", hint: "e.g. 15s, 2m")
            return nil
        }
        guard value.components.seconds <= max else {
            report(node, "`\(key)` is longer than MQTT allows (\(max) s)")
            return nil
        }
        return value
    }

    func bitRate(_ node: Node, _ key: String) -> Int? {
        guard case .scalar(let scalar) = node, let value = Quantities.bitsPerSecond(scalar.string) else {
            report(node, "`\(key)` \(node.kindDescription) is not a rate", hint: Quantities.rateHint)
            return nil
        }
        guard value > 0 else {
            report(node, "`\(key)` must be above 0 bit/s", hint: "to cut the link entirely use `stall: true`")
            return nil
        }
        return value
    }

    func percent(_ node: Node, _ key: String) -> Double? {
        guard case .scalar(let scalar) = node, let value = Quantities.percent(scalar.string) else {
            report(node, "`\(key)` \(node.kindDescription) is not a percentage", hint: Quantities.percentHint)
            return nil
        }
        guard value > 0, value <= 100 else {
            report(node, "`\(key)` \(scalar.string) is not between 0% and 100%", hint: "use a share above 0% and at most 100%")
            return nil
        }
        return value
    }

    /// One of an enumeration's spellings; the hint lists them all (or the near miss).
    func choice<Value: CaseIterable & RawRepresentable>(_ node: Node, _ key: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        let allowed = Value.allCases.map(\.rawValue)
        guard case .scalar(let scalar) = node, !node.isNull else {
            report(node, "`\(key)` must be one of \(allowed.joined(separator: ", ")), found \(node.kindDescription)")
            return nil
        }
        guard let value = Value(rawValue: scalar.string) else {
            let near = Suggestions.nearest(to: scalar.string, in: allowed)
            let list = "allowed values: " + allowed.joined(separator: ", ")
            report(node, "unknown \(key) `\(scalar.string)`",
                   hint: near.map { "did you mean `\($0)`? \(list)" } ?? list)
            return nil
        }
        return value
    }

    func list(_ node: Node, _ key: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, "`\(key)` must be a list, found \(node.kindDescription)")
            return nil
        }
        return Array(sequence)
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "it must be at least \(range.lowerBound)" }
        return "it must be between \(range.lowerBound) and \(range.upperBound)"
    }
}
