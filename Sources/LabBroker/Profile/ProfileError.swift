import Yams

/// One problem in a profile file, rendered like a compiler diagnostic (`file:line:column: error: …`), the
/// same shape as the scenario loader's errors.
public struct ProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var problem: String
    /// How to fix it: the allowed values or a near miss; nil when there is nothing useful to add.
    public var hint: String?

    public init(file: String, line: Int, column: Int, problem: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.hint = hint
    }

    public var description: String {
        "\(file):\(line):\(column): error: \(problem)" + (hint.map { " (hint: \($0))" } ?? "")
    }
}

/// Every problem found in one profile file, in file order, so a user fixes the file in one pass.
public struct ProfileErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [ProfileError]

    public init(_ errors: [ProfileError]) {
        self.errors = errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Collects the problems of one file, each located at a YAML node.
final class ProfileDiagnostics {
    let file: String
    private(set) var errors: [ProfileError] = []

    init(file: String) { self.file = file }

    func report(_ node: Node?, _ problem: String, hint: String? = nil) {
        errors.append(ProfileError(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1,
                                   problem: problem, hint: hint))
    }

    func location(of node: Node) -> String { "\(file):\(node.mark?.line ?? 1)" }

    /// A YAML syntax error as a located problem.
    static func syntaxError(_ error: YamlError, file: String) -> ProfileError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return ProfileError(file: file, line: mark.line, column: mark.column, problem: "YAML syntax error: \(problem)",
                                hint: "check indentation, colons and closing quotes or brackets")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ProfileError(file: file, line: context.mark.line, column: context.mark.column,
                                problem: "duplicate key " + duplicates.map { "`\($0)`" }.joined(separator: ", "),
                                hint: "each key may appear once per mapping")
        default:
            return ProfileError(file: file, line: 1, column: 1, problem: "YAML error: \(error)")
        }
    }

    /// The allowed word closest to `word` when it is likely a typo, else the list of allowed words.
    static func hint(for word: String, in allowed: [String]) -> String {
        let near = allowed.min { editDistance(word, $0) < editDistance(word, $1) }
        if let near, editDistance(word, near) <= max(1, max(word.count, near.count) / 3) {
            return "did you mean `\(near)`?"
        }
        return "allowed: " + allowed.joined(separator: ", ")
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Node {
    var describedKind: String {
        switch self {
        case .scalar(let scalar): return scalar.string.isEmpty ? "nothing" : "`\(scalar.string)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The text of a scalar; nil for mappings and lists.
    var scalarText: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }
}
