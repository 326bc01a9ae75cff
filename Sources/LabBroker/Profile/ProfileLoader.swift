import Foundation
import Yams

/// Profiles as data: YAML → `BrokerProfile`, strictly (an unknown key, a wrong type or a bad value is an
/// error naming the file, line and column, with a hint). The format is documented in PROFILES.md.
public enum ProfileLoader {
    /// The profiles built into the tool (`lab:standard`, `lab:eventgrid`, `lab:iothub`).
    public static let builtInNames = ["standard", "eventgrid", "iothub"]

    public static func builtIn(named name: String) throws(ProfileErrors) -> BrokerProfile {
        try builtIn(named: name, depth: 0)
    }

    /// A user's profile file; it may `extends:` a built-in profile.
    public static func load(path: String) throws(ProfileErrors) -> BrokerProfile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ProfileErrors([ProfileError(file: path, line: 1, column: 1,
                                              problem: "cannot read profile file: \(error.localizedDescription)",
                                              hint: "give a path to a YAML file or one of: " + builtInNames.joined(separator: ", "))])
        }
        return try parse(yaml: text, file: path)
    }

    /// Profile text; `file` names it in messages and in the sources of rules that cite nothing.
    public static func parse(yaml: String, file: String) throws(ProfileErrors) -> BrokerProfile {
        try parse(yaml: yaml, file: file, depth: 0)
    }

    private static func builtIn(named name: String, depth: Int) throws(ProfileErrors) -> BrokerProfile {
        let bytes: [UInt8]
        switch name {
        case "standard": bytes = PackageResources.standard_yaml
        case "eventgrid": bytes = PackageResources.eventgrid_yaml
        case "iothub": bytes = PackageResources.iothub_yaml
        default:
            throw ProfileErrors([ProfileError(file: "lab:\(name)", line: 1, column: 1, problem: "no built-in profile `\(name)`",
                                              hint: ProfileDiagnostics.hint(for: name, in: builtInNames))])
        }
        return try parse(yaml: String(decoding: bytes, as: UTF8.self), file: "lab:\(name)", depth: depth)
    }

    private static let topLevelKeys = ["name", "summary", "extends", "rules"]

    private static func parse(yaml: String, file: String, depth: Int) throws(ProfileErrors) -> BrokerProfile {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw ProfileErrors([ProfileError(file: file, line: 1, column: 1, problem: "the profile file is empty",
                                                  hint: "start with `extends: eventgrid` and the rules you change")])
            }
            root = composed
        } catch let error as ProfileErrors {
            throw error
        } catch let error as YamlError {
            throw ProfileErrors([ProfileDiagnostics.syntaxError(error, file: file)])
        } catch {
            throw ProfileErrors([ProfileError(file: file, line: 1, column: 1, problem: "YAML error: \(error)")])
        }
        let diagnostics = ProfileDiagnostics(file: file)
        let values = ProfileValues(diagnostics: diagnostics)
        guard let top = values.mapping(root, "a profile", allowed: topLevelKeys) else { throw ProfileErrors(diagnostics.errors) }

        var profile = BrokerProfile()
        if let extendsNode = top["extends"], let base = values.string(extendsNode, "`extends`") {
            if !builtInNames.contains(base) {
                diagnostics.report(extendsNode, "`extends` names no built-in profile: `\(base)`",
                                   hint: ProfileDiagnostics.hint(for: base, in: builtInNames))
            } else if depth > builtInNames.count {
                diagnostics.report(extendsNode, "`extends` goes round in a circle through `\(base)`")
            } else {
                profile = try builtIn(named: base, depth: depth + 1)
            }
        }
        if let nameNode = values.required(top, "name", in: root, "the profile"), let name = values.string(nameNode, "`name`") {
            profile.name = name
        }
        if let summaryNode = top["summary"], let summary = values.string(summaryNode, "`summary`") {
            profile.summary = summary
        } else if top["extends"] == nil {
            profile.summary = "profile \(profile.name) (\(file))"
        }
        if let rulesNode = top["rules"] {
            readRules(rulesNode, into: &profile, values: values)
        }
        guard diagnostics.errors.isEmpty else { throw ProfileErrors(diagnostics.errors) }
        return profile
    }

    /// Each rule is its value, or `{ value: …, source: "…" }` to cite where it comes from; a rule without
    /// a source cites its own place in the file.
    private static func readRules(_ node: Node, into profile: inout BrokerProfile, values: ProfileValues) {
        guard let rules = values.mapping(node, "`rules`", allowed: ProfileRule.keys) else { return }
        for rule in ProfileRule.all {
            guard let ruleNode = rules[rule.key] else { continue }
            var valueNode = ruleNode
            var source: String?
            if case .mapping(let mapping) = ruleNode, mapping.keys.contains(where: { $0.scalarText == "value" || $0.scalarText == "source" }) {
                guard let entries = values.mapping(ruleNode, "rule `\(rule.key)`", allowed: ["value", "source"]),
                      let value = values.required(entries, "value", in: ruleNode, "rule `\(rule.key)`")
                else { continue }
                valueNode = value
                source = entries["source"].flatMap { values.string($0, "`source`") }
            }
            let errorsBefore = values.diagnostics.errors.count
            rule.read(valueNode, values, &profile)
            if values.diagnostics.errors.count == errorsBefore {
                profile.sources[rule.key] = source ?? values.diagnostics.location(of: ruleNode)
            }
        }
    }
}
