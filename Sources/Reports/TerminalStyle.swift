/// Whether terminal output may use ANSI colours: only when writing to a TTY, so logs
/// and pipes get plain text.
public enum TerminalStyle: Sendable, Hashable {
    case plain
    case ansi

    func pass(_ text: String) -> String { paint(text, "32") }
    func fail(_ text: String) -> String { paint(text, "31") }
    func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }

    private func paint(_ text: String, _ code: String) -> String {
        self == .ansi ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
