/// One problem found in a scenario file, located so an editor can jump to it.
///
/// Rendered like a compiler diagnostic: `file:line:column: error: problem (hint: …)`.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// What is wrong, naming the key or value.
    public var problem: String
    /// How to fix it: a near-miss suggestion or the allowed values; nil when there is nothing useful to add.
    public var hint: String?

    public init(file: String, line: Int, column: Int, problem: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        self.hint = hint
    }

    public init(at location: SourceLocation, problem: String, hint: String? = nil) {
        self.init(file: location.file, line: location.line, column: location.column, problem: problem, hint: hint)
    }

    public var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    public var description: String {
        let base = "\(file):\(line):\(column): error: \(problem)"
        guard let hint else { return base }
        return base + " (hint: \(hint))"
    }
}

/// Every problem found in one scenario file: the loader collects them all before giving up,
/// so a user fixes a file in one pass instead of one error per run.
public struct ScenarioErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// In file order (line, then column).
    public var errors: [ScenarioError]

    public init(_ errors: [ScenarioError]) {
        self.errors = errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
