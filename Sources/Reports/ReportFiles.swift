import Foundation
import Verification

/// Writes every file report of a run next to each other, so the run command makes
/// one call: `<base>.json`, `<base>.junit.xml`, `<base>.html` and `<base>.txt`.
public enum ReportFiles {
    /// Writes the four files and returns their paths.
    @discardableResult
    public static func write(_ report: RunReport, base: String) throws -> [String] {
        let files: [(String, Data)] = [
            (base + ".json", try JSONReport.encode(report)),
            (base + ".junit.xml", Data(JUnitReport.render(report).utf8)),
            (base + ".html", Data(HTMLReport.render(report).utf8)),
            (base + ".txt", Data(TerminalSummary.render(report, style: .plain).utf8)),
        ]
        for (path, data) in files {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        return files.map(\.0)
    }
}
