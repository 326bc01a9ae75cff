import Foundation
import Yams

/// Reads scenario files into validated `Plan`s. Nothing is connected until a file loads without a single error;
/// a bad file yields `ScenarioErrors` listing every problem found, each with `file:line:column`.
public enum ScenarioLoader {
    public struct Options: Sendable, Hashable {
        /// Folder that relative paths in the file (CA, certificates) are resolved against; nil ⇒ the current
        /// working directory, like every path given to the CLI. Resolved paths are stored in the plan.
        public var baseDirectory: String?
        /// Check that the CA file and every selected device's certificate files exist.
        /// Turn off ONLY to check a file's syntax and semantics where its certificate folder has not been
        /// generated yet (the library test does so when the test Certs folder is absent); a plan loaded
        /// this way may fail later when a device tries to connect.
        public var checkCertificateFiles: Bool
        /// `fleet run --broker`: a URL or `lab[:PROFILE]` that replaces the file's broker.
        public var brokerOverride: String?
        /// `fleet run --broker-ca`: the roots to trust for an `mqtts://` `brokerOverride`.
        public var brokerCA: String?
        /// A worker of a split run (`fleet run --worker`): its coordinator owns the lab broker, checked the
        /// file's `iothub` steps against it and sends them, while the worker's `brokerOverride` is that
        /// broker's URL; the worker's fleet skips those steps.
        public var iotHubStepsSentByCoordinator: Bool

        public init(baseDirectory: String? = nil, checkCertificateFiles: Bool = true, brokerOverride: String? = nil,
                    brokerCA: String? = nil, iotHubStepsSentByCoordinator: Bool = false) {
            self.baseDirectory = baseDirectory
            self.checkCertificateFiles = checkCertificateFiles
            self.brokerOverride = brokerOverride
            self.brokerCA = brokerCA
            self.iotHubStepsSentByCoordinator = iotHubStepsSentByCoordinator
        }
    }

    /// Loads and validates the scenario at `path`.
    public static func load(path: String, options: Options = Options()) throws -> Plan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioErrors([ScenarioError(file: path, line: 1, column: 1,
                                                problem: "cannot read scenario file: \(error.localizedDescription)")])
        }
        return try parse(yaml: text, path: path, options: options)
    }

    /// Validates scenario text; `path` is used in messages and as the plan's `sourcePath`.
    public static func parse(yaml: String, path: String, options: Options = Options()) throws -> Plan {
        let diagnostics = Diagnostics(file: path)
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw ScenarioErrors([ScenarioError(file: path, line: 1, column: 1, problem: "the scenario file is empty",
                                                    hint: "start from Scenarios/quickstart.yaml")])
            }
            root = composed
        } catch let error as YamlError {
            throw ScenarioErrors([syntaxError(error, path: path)])
        }
        let parser = ScenarioParser(diagnostics: diagnostics, path: path, options: options)
        let plan = parser.plan(from: root)
        if let plan, diagnostics.errors.isEmpty { return plan }
        throw ScenarioErrors(diagnostics.errors)
    }

    static func syntaxError(_ error: YamlError, path: String) -> ScenarioError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return ScenarioError(file: path, line: mark.line, column: mark.column,
                                 problem: "YAML syntax error: \(problem)\(detail)",
                                 hint: "check indentation, colons and closing quotes or brackets")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioError(file: path, line: context.mark.line, column: context.mark.column,
                                 problem: "duplicate key " + duplicates.map { "`\($0)`" }.joined(separator: ", "),
                                 hint: "each key may appear once per mapping")
        case .reader(let problem, let offset, _, let yaml):
            let mark = offset.map { lineAndColumn(of: $0, in: yaml) } ?? (1, 1)
            return ScenarioError(file: path, line: mark.0, column: mark.1, problem: "cannot read the file: \(problem)")
        default:
            return ScenarioError(file: path, line: 1, column: 1, problem: "YAML error: \(error)")
        }
    }

    private static func lineAndColumn(of offset: Int, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}

/// One pass over one file's YAML tree, building the plan and reporting into `diagnostics`.
final class ScenarioParser {
    let diagnostics: Diagnostics
    let path: String
    let options: ScenarioLoader.Options

    init(diagnostics: Diagnostics, path: String, options: ScenarioLoader.Options) {
        self.diagnostics = diagnostics
        self.path = path
        self.options = options
    }

    static let rootKeys = ["name", "seed", "broker", "groups", "timeline", "expect", "observer"]

    func plan(from root: Node) -> Plan? {
        guard let file = MappingReader(root, what: "the scenario", allowed: Self.rootKeys, diagnostics: diagnostics)
        else { return nil }
        let name = file["name"].flatMap { diagnostics.string($0, "name") } ?? defaultName
        let seed = file["seed"].flatMap(seedValue) ?? 1
        let broker = scenarioBroker(file["broker"])
        let context = file.required("groups", hint: "a list of device groups, each with a name and a count")
            .map { deviceGroups($0, broker: broker) } ?? GroupContext(groups: [], unresolved: [nil])
        let groups = context.groups
        let timeline = file.required("timeline", hint: "a list of steps, e.g. - { at: 0s, ramp: { over: 5s } }")
            .map { steps($0, context: context, broker: broker) } ?? []
        let expectations = file["expect"].map { expectationsSpec($0) } ?? Expectations()
        let observer = observerSpec(file["observer"], groups: groups, broker: broker)
        guard let broker else { return nil }
        return Plan(name: name, seed: seed, sourcePath: path, broker: broker, groups: groups, timeline: timeline,
                    expectations: expectations, observer: observer)
    }

    private var defaultName: String {
        let fileName = (path as NSString).lastPathComponent
        return (fileName as NSString).deletingPathExtension
    }

    private func seedValue(_ node: Node) -> UInt64? {
        guard case .scalar(let scalar) = node, let value = UInt64(scalar.string.trimmingWhitespace()) else {
            diagnostics.report(node, "`seed` must be a whole number from 0 to \(UInt64.max), found \(node.kindDescription)")
            return nil
        }
        return value
    }

    /// A path from the file, resolved against the base directory when relative.
    func resolvedPath(_ path: String) -> String {
        guard !path.hasPrefix("/"), let base = options.baseDirectory else { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    func fileExists(_ path: String, directory: Bool = false) -> Bool {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        return exists && isDirectory.boolValue == directory
    }

    /// Reads template text in `scope`, reporting a bad placeholder at its own column.
    func template(_ node: Node, _ key: String, scope: TemplateParser.Scope, allowEmpty: Bool = false) -> Template? {
        guard let text = diagnostics.string(node, key, allowEmpty: allowEmpty) else { return nil }
        switch TemplateParser.parse(text, scope: scope) {
        case .success(let template):
            return template
        case .failure(let failure):
            var location = diagnostics.location(of: node)
            if case .scalar(let scalar) = node, !text.contains("\n") {
                let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                location.column += failure.offset + (quoted ? 1 : 0)
            }
            diagnostics.report(at: location, "in `\(key)`: \(failure.problem)", hint: failure.hint)
            return nil
        }
    }

    /// A topic template a device publishes to: placeholders fixed per device, no wildcards.
    func topicName(_ node: Node, _ key: String) -> Template? {
        guard let topic = template(node, key, scope: .perDevice) else { return nil }
        if let problem = TopicRules.problemWithTopicName(topic.description) {
            diagnostics.report(node, "`\(key)`: \(problem)")
            return nil
        }
        return topic
    }
}
