import ArgumentParser
import Foundation
import Reports

/// `fleet report`: work with the JSON reports runs leave behind.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Combine the JSON reports of several runs.",
        subcommands: [ReportMergeCommand.self]
    )
}

/// `fleet report merge A.json B.json …`: one view of runs made on several machines (or several times):
/// counts summed, latency histograms merged exactly, so the percentiles are those of all samples together.
struct ReportMergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge run reports (<ledger>.json): summed counts, exactly merged latency histograms.",
        discussion: """
            Give the <ledger>.json reports that runs write beside their ledgers. Exit status: 0 when every run's \
            expectations passed, 1 when one failed, 2 when a file is not a run report (a ledger, another report, \
            truncated JSON, another version's report): one line names the file and what it is.
            """
    )

    @Argument(help: "The runs' JSON reports.")
    var reports: [String]

    @Option(name: .shortAndLong, help: "Also write the merged report (JSON, schema fleet-merged-report/1) here.")
    var output: String?

    func validate() throws {
        guard !reports.isEmpty else { throw ValidationError("give at least one report") }
    }

    func run() async throws {
        let merged: MergedReport
        do {
            merged = try ReportMerge.merge(try reports.map(ReportFile.read))
        } catch {
            FileHandle.standardError.write(Data("fleet report merge: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let output {
            try JSONReport.encode(merged).write(to: URL(fileURLWithPath: output), options: .atomic)
        }
        print(TerminalSummary.render(merged, style: RunVerification.terminalStyle), terminator: "")
        if merged.expectationsFailed > 0 { throw ExitCode(1) }
    }
}
