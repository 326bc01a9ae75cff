import Foundation
import XCTest

/// Every command's help as ArgumentParser prints it at 80 and 200 columns: wrapped by the parser to the
/// terminal, never by line breaks or runs of spaces in our source (which come out ragged at any width).
final class HelpTextTests: XCTestCase {
    /// `fleet help` and every subcommand's help, found by following the SUBCOMMANDS sections.
    private func helpTexts(columns: Int) throws -> [(command: String, text: String)] {
        var pending: [[String]] = [[]]
        var texts: [(String, String)] = []
        while let command = pending.popLast() {
            let outcome = try FleetBinary.run(["help"] + command, environment: ["COLUMNS": String(columns)])
            XCTAssertEqual(outcome.status, 0, outcome.output)
            texts.append((command.joined(separator: " "), outcome.output))
            let lines = outcome.output.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { continue }
            for line in lines[(start + 1)...].prefix(while: { $0.hasPrefix("  ") }) {
                let words = line.split(separator: " ")
                // Subcommand lines start at two spaces; their wrapped descriptions are indented further.
                guard line.dropFirst(2).first != " ", let name = words.first, name != "help" else { continue }
                pending.append(command + [String(name)])
            }
        }
        return texts
    }

    /// The description part of a line: after an option's or subcommand's name column, or after indentation.
    private func prose(_ line: String) -> Substring {
        let text = line.drop { $0 == " " }
        guard line.hasPrefix("  "), let gap = text.range(of: "  ") else { return text }
        return text[gap.upperBound...].drop { $0 == " " }
    }

    func testNoRunsOfSpacesInsideHelpText() throws {
        for (command, text) in try helpTexts(columns: 200) {
            for line in text.components(separatedBy: "\n") where !line.hasPrefix("USAGE:") {
                XCTAssertFalse(prose(line).contains("  "), "fleet help \(command): ragged line\n\(line)")
            }
        }
    }

    func testLinesBreakOnlyWhereTheTerminalEnds() throws {
        for columns in [80, 200] {
            for (command, text) in try helpTexts(columns: columns) {
                let lines = text.components(separatedBy: "\n")
                for (line, next) in zip(lines, lines.dropFirst()) where !line.hasPrefix("USAGE:") {
                    XCTAssertLessThanOrEqual(line.count, columns, "fleet help \(command) at \(columns) columns:\n\(line)")
                    // A sentence that goes on on the next line although its next word fit on this one was
                    // broken in the source, not by the parser (which keeps a line's text under `columns`).
                    guard let last = line.last, last.isLetter || last == ",",
                          let word = next.split(separator: " ").first, let first = word.first,
                          first.isLowercase || first.isNumber, word != "fleet",  // not an example command
                          line.count + 1 + word.count < columns else { continue }
                    XCTFail("fleet help \(command) at \(columns) columns: hard line break in the source before '\(word)'\n\(line)\n\(next)")
                }
            }
        }
    }
}
