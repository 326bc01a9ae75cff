import Yams

/// Collects every problem found while reading one scenario file, each located at a YAML node.
final class Diagnostics {
    let file: String
    private(set) var errors: [ScenarioError] = []

    init(file: String) {
        self.file = file
    }

    func location(of node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func report(_ node: Node?, _ problem: String, hint: String? = nil) {
        errors.append(ScenarioError(at: location(of: node), problem: problem, hint: hint))
    }

    func report(at location: SourceLocation, _ problem: String, hint: String? = nil) {
        errors.append(ScenarioError(at: location, problem: problem, hint: hint))
    }
}

/// A YAML mapping whose keys have been checked against the keys allowed in its place.
struct MappingReader {
    let node: Node
    /// What the mapping is, for messages: "group `sensors`", "broker", "step 3 (`throttle`)".
    let what: String
    private let entries: [String: (key: Node, value: Node)]
    private let diagnostics: Diagnostics

    /// Reports and returns nil when `node` is not a mapping; reports (and skips) every key not in `allowed`,
    /// one in `renamed` with the hint given there (a key's old spelling, which files written for it still use).
    init?(_ node: Node, what: String, allowed: [String], renamed: [String: String] = [:], diagnostics: Diagnostics) {
        guard case .mapping(let mapping) = node else {
            diagnostics.report(node, "\(what) must be a mapping of keys to values, found \(node.kindDescription)",
                               hint: "allowed keys: " + allowed.joined(separator: ", "))
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                diagnostics.report(key, "keys in \(what) must be plain words, found \(key.kindDescription)")
                continue
            }
            guard allowed.contains(scalar.string) else {
                diagnostics.report(key, "unknown key `\(scalar.string)` in \(what)",
                                   hint: renamed[scalar.string] ?? Suggestions.hint(for: scalar.string, in: allowed))
                continue
            }
            entries[scalar.string] = (key, value)
        }
        self.node = node
        self.what = what
        self.entries = entries
        self.diagnostics = diagnostics
    }

    subscript(_ key: String) -> Node? { entries[key]?.value }

    func contains(_ key: String) -> Bool { entries[key] != nil }

    /// The keys present, in file order.
    var presentKeys: [(key: String, node: Node)] {
        entries.map { ($0.key, $0.value.key) }.sorted {
            ($0.node.mark?.line ?? 0, $0.node.mark?.column ?? 0) < ($1.node.mark?.line ?? 0, $1.node.mark?.column ?? 0)
        }
    }

    func keyNode(_ key: String) -> Node? { entries[key]?.key }

    /// The value for a key that must be present; reports it missing (at the mapping) otherwise.
    func required(_ key: String, hint: String? = nil) -> Node? {
        if let value = entries[key]?.value { return value }
        diagnostics.report(node, "\(what) is missing `\(key)`", hint: hint)
        return nil
    }
}

extension Node {
    var kindDescription: String {
        switch self {
        case .scalar(let scalar): scalar.string.isEmpty ? "nothing" : "`\(scalar.string)`"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// A scalar that is YAML null (`~`, `null` or nothing).
    var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
