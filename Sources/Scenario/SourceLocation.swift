/// A place in a scenario file, so every message about a step or a key can point the user at it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The scenario file's path as the user gave it.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars (as libyaml counts them).
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
