/// One item of a live status line, and how much it matters when the terminal is too narrow for all of them.
public struct LiveField: Sendable, Hashable {
    public var text: String
    /// Higher is kept first; a field that does not fit is left out whole, never cut.
    public var priority: Int
    /// Painted as a failure on a terminal.
    public var failing: Bool
    /// Fields of one group share a label, written once before the first shown ("wills: delivered 3, missing 1").
    public var group: String?
    /// Set off from the field before by a space only (bar, clock), not by " · ".
    public var tight: Bool

    public init(_ text: String, priority: Int, failing: Bool = false, group: String? = nil, tight: Bool = false) {
        self.text = text
        self.priority = priority
        self.failing = failing
        self.group = group
        self.tight = tight
    }
}

/// Lays out a live line for a width: the fields that fit, taken by priority, in their display order. Pure.
public enum LiveLine {
    /// The line in at most `width` columns (every character of a field is one column wide).
    public static func render(_ fields: [LiveField], width: Int, style: TerminalStyle = .plain) -> String {
        text(fit(fields, width: width), style: style)
    }

    /// The fields kept at `width`, in display order: taken in priority order until one does not fit, so a
    /// field shown is never less important than one left out.
    public static func fit(_ fields: [LiveField], width: Int) -> [LiveField] {
        let byPriority = fields.indices.sorted {
            fields[$0].priority != fields[$1].priority ? fields[$0].priority > fields[$1].priority : $0 < $1
        }
        var kept: Set<Int> = []
        for index in byPriority {
            let candidate = kept.union([index])
            guard text(fields.indices.filter(candidate.contains).map { fields[$0] }, style: .plain).count <= width
            else { break }
            kept = candidate
        }
        return fields.indices.filter(kept.contains).map { fields[$0] }
    }

    static func text(_ fields: [LiveField], style: TerminalStyle) -> String {
        var line = ""
        var previous: LiveField?
        for field in fields {
            if let previous {
                line += field.group != nil && field.group == previous.group ? ", " : field.tight ? " " : " · "
            }
            if let group = field.group, group != previous?.group { line += group + ": " }
            line += field.failing ? style.fail(field.text) : field.text
            previous = field
        }
        return line
    }
}

/// How a live line reaches standard output, as a pure state machine. On a terminal every refresh redraws the
/// line in place (carriage return, the line fitted to one column less than the terminal so it never wraps,
/// erase to the end). In a log (pipe, file, CI) a plain line, without escape codes or carriage returns, is
/// written only when what it says changed or every `heartbeat` seconds, so the log stays readable.
public struct LiveDisplay<State: Hashable & Sendable>: Sendable {
    public let terminal: Bool
    private let heartbeatNs: UInt64
    private var printed: (state: State, atNs: UInt64)?
    private var drawn = false
    private var finished = false

    public init(terminal: Bool, heartbeatSeconds: Double = 5) {
        self.terminal = terminal
        heartbeatNs = UInt64(max(heartbeatSeconds, 0) * 1e9)
    }

    /// What to write for this refresh, or nil. `state` is what the line says apart from what moves at every
    /// refresh (clock, rates); `line` renders the line for a style in at most a width of columns.
    public mutating func refresh(_ state: State, atNs now: UInt64, columns: Int,
                                 line: (TerminalStyle, Int) -> String) -> String? {
        guard !finished else { return nil }
        if terminal {
            drawn = true
            return "\r" + line(.ansi, max(columns - 1, 1)) + "\u{1B}[K"
        }
        if let printed, printed.state == state, now &- printed.atNs < heartbeatNs { return nil }
        printed = (state, now)
        return line(.plain, .max) + "\n"
    }

    /// What to write when the live line ends (the newline that leaves a terminal line standing), or nil.
    /// Refreshes after it write nothing.
    public mutating func finish() -> String? {
        guard !finished else { return nil }
        finished = true
        return drawn ? "\n" : nil
    }
}
