import Foundation
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

/// A file given to `fleet report merge` that is not a run report, with what it is instead, so one line tells
/// the user which file to give (`runs/x.jsonl: is a run ledger …: merge runs/x.json`).
public struct ReportFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public var description: String { "\(path) \(problem)" }
}

/// Reads the run reports (`<ledger>.json`) that `fleet report merge` combines.
public enum ReportFile {
    public static func read(_ path: String) throws -> RunReport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw ReportFileError(path: path, problem: missing ? "does not exist" : "cannot be read (\(error.localizedDescription))")
        }
        return try report(data, path: path)
    }

    /// `data` as a run report, or the error saying what it is; `path` names it and its siblings.
    static func report(_ data: Data, path: String) throws -> RunReport {
        func refuse(_ problem: String) -> ReportFileError { ReportFileError(path: path, problem: problem) }
        let reportPath = siblingReport(of: path)
        let mergeThat = reportPath.map { ": merge \($0), the report its run wrote" } ?? ""
        let ledger = "is a run ledger (the run's events, one JSON object a line), not a report"
            + (reportPath.map { ": merge \($0), the report its run wrote beside it" }
                ?? ": its report is the .json file a run writes beside its ledger when it ends")
        guard !data.isEmpty else { throw refuse("is empty\(mergeThat)") }
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            let text = String(decoding: data.prefix(512), as: UTF8.self)
            if isLedger(firstLine: text.prefix { $0 != "\n" }) { throw refuse(ledger) }
            if text.contains("<testsuites") { throw refuse("is a JUnit report, not the JSON report\(mergeThat)") }
            if text.lowercased().contains("<html") { throw refuse("is an HTML report, not the JSON report\(mergeThat)") }
            if let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[" {
                throw refuse(endsEarly(data)
                    ? "ends before its JSON does (\(data.count) bytes): the run was stopped while writing it, or the copy is incomplete"
                    : "is not valid JSON")
            }
            throw refuse("is not JSON, so not a run report" + (reportPath == nil ? ": merge the <ledger>.json reports runs write" : mergeThat))
        }
        guard let fields = object as? [String: Any] else { throw refuse("is JSON but not a run report (not an object)") }
        guard let schema = fields["schema"] as? String else {
            if fields["kind"] != nil, fields["at"] != nil { throw refuse(ledger) }
            throw refuse("is JSON but not a run report (it has no `schema`)")
        }
        switch schema {
        case RunReport.currentSchema:
            do {
                return try JSONReport.decode(data)
            } catch let error as DecodingError {
                throw refuse("says \(schema) but \(describe(error))")
            }
        case MergedReport.currentSchema:
            throw refuse("is a merged report (\(schema)), which keeps no runs of its own: merge the runs' reports")
        case let other where other.hasPrefix("fleet-run-report/"):
            throw refuse("is a \(other) report, from another version of fleet; this one reads \(RunReport.currentSchema)")
        default:
            throw refuse("has schema \"\(schema)\", not \(RunReport.currentSchema)")
        }
    }

    /// A ledger line: `{"kind":{…},"at":…}` (the Ledger target's JSON lines).
    private static func isLedger(firstLine: Substring) -> Bool {
        guard let line = try? JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any] else { return false }
        return line["kind"] != nil && line["at"] != nil
    }

    /// The report beside a ledger, HTML, JUnit or text report of the same run, when it exists.
    private static func siblingReport(of path: String) -> String? {
        for suffix in [".jsonl", ".html", ".junit.xml", ".txt"] where path.hasSuffix(suffix) {
            let report = String(path.dropLast(suffix.count)) + ".json"
            return FileManager.default.fileExists(atPath: report) ? report : nil
        }
        return nil
    }

    /// Whether JSON text stops inside a string or with brackets still open: cut off, not malformed.
    private static func endsEarly(_ data: Data) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return inString || depth > 0
    }

    /// What a decoding error means for the file, by the key path where it happened.
    private static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context): return "has no `\(at(context.codingPath + [key]))`"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "has a wrong value at `\(at(context.codingPath))`"
        case .dataCorrupted(let context): return "is corrupt at `\(at(context.codingPath))`"
        @unknown default: return "does not decode"
        }
    }
}
