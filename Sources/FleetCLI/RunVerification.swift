#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Histogram
import Ledger
import NIOCore
import Observation
import Reports
import Scenario
import Verification

/// The verification half of `fleet run`: the observers are subscribed before the first device
/// connects, and after the last one stops the ledger and their counts become verdicts and the
/// report files (JSON, JUnit, HTML, text) beside the event log.
struct RunVerification {
    let observers: Observers

    static func start(plan: Plan, ledger: any RunEventSink, clock: RunClock, group: any EventLoopGroup) async throws -> Self {
        Self(observers: try await Observers.start(
            plan: plan, roster: ObserverRoster(plan: plan), ledger: ledger, clock: clock, group: group))
    }

    /// Disconnects the observers (their wills and status messages are in the ledger by then) and
    /// returns what they counted.
    func stopObserving() async -> ObserverTotals {
        await observers.finish()
    }

    /// Judges the run from the closed ledger file and the observers' counts, and writes the reports
    /// beside the ledger (`<base>.json`, `.junit.xml`, `.html`, `.txt`); returns the report and those paths.
    static func judge(
        plan: Plan, observed: ObserverTotals, acknowledgements: Histogram<UInt64>?, ledgerPath: String,
        reportBase: String, publishedPerSecond: [UInt64]
    ) throws -> (report: RunReport, files: [String]) {
        let events = try LedgerReader.read(path: ledgerPath)
        var deviceLatency = LatencyBook()
        if let acknowledgements { deviceLatency.merge(.puback, LatencyHistogram(replaying: acknowledgements)) }
        let report = RunAnalysis.report(RunAnalysis.Inputs(
            plan: plan, events: events, observers: observed, deviceLatency: deviceLatency,
            publishedPerSecond: publishedPerSecond))
        return (report, try ReportFiles.write(report, base: reportBase))
    }

    /// How long the observers keep listening after the devices stopped.
    static let drain: Duration = .seconds(1)

    /// ANSI colours only on a terminal.
    static var terminalStyle: TerminalStyle { isatty(STDOUT_FILENO) == 1 ? .ansi : .plain }
}
