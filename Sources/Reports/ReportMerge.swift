import Verification

/// Several runs' reports combined: latency histograms merged exactly, counts summed.
public struct MergedReport: Codable, Sendable, Hashable {
    public static let currentSchema = "fleet-merged-report/1"

    public var schema: String = MergedReport.currentSchema
    /// Scenario names of the runs, in input order.
    public var runs: [String]
    public var telemetry: TelemetryCounts
    /// Will verdicts by judgement.
    public var wills: [String: Int]
    public var expectationsFailed: Int
    public var expectationsTotal: Int
    /// Exactly merged histograms with their percentiles.
    public var latency: [LatencyEntry]
    /// Summed over the runs that had them; absent when none did.
    public var sessions: SessionSection?
    public var deviceErrors: DeviceErrorSection?
    public var credentials: CredentialSection? = nil
}

/// Combines reports of several runs (e.g. one per load generator machine).
public enum ReportMerge {
    public static func merge(_ reports: [RunReport]) throws -> MergedReport {
        guard !reports.isEmpty else { throw ReportError.noReports }
        var telemetry = TelemetryCounts()
        var wills: [String: Int] = [:]
        var book = LatencyBook()
        for report in reports {
            telemetry = telemetry + report.telemetry.total
            for (judgement, count) in report.wills.counts { wills[judgement, default: 0] += count }
            for entry in report.latency {
                book.merge(entry.phase, try LatencyHistogram(encoded: entry.histogram))
            }
        }
        return MergedReport(
            runs: reports.map(\.scenario.name),
            telemetry: telemetry,
            wills: wills,
            expectationsFailed: reports.reduce(0) { $0 + $1.expectations.filter { !$0.passed }.count },
            expectationsTotal: reports.reduce(0) { $0 + $1.expectations.count },
            latency: book.phases.keys.sorted().map { LatencyEntry(phase: $0, histogram: book.phases[$0]!) },
            sessions: reports.compactMap(\.sessions).reduce(nil) { sum, next in sum.map { $0 + next } ?? next },
            deviceErrors: reports.compactMap(\.deviceErrors).reduce(nil) { sum, next in sum.map { $0 + next } ?? next },
            credentials: reports.compactMap(\.credentials).reduce(nil) { sum, next in sum.map { $0 + next } ?? next }
        )
    }
}
