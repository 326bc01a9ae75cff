import Foundation

/// Reads a ledger file back into events.
///
/// The last line may be cut short by a crash mid-write; it is dropped silently.
/// Any other unreadable line is an error, because a verdict computed from a
/// silently damaged ledger would be a lie.
public enum LedgerReader {
    /// All events of the file at `path`, in file order.
    public static func read(path: String) throws -> [RunEvent] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError.cannotRead(path: path)
        }
        return try decode(data, path: path)
    }

    /// Events from JSON-lines `data`; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> [RunEvent] {
        let decoder = JSONDecoder()
        var events: [RunEvent] = []
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let lastNonEmpty = lines.lastIndex { !$0.isEmpty }
        for (number, line) in lines.enumerated() where !line.isEmpty {
            do {
                events.append(try decoder.decode(RunEvent.self, from: Data(line)))
            } catch {
                if number == lastNonEmpty && data.last != 0x0A { break }
                throw LedgerError.corruptLine(path: path, line: number + 1)
            }
        }
        return events
    }
}
