import Foundation
import Verification

/// The machine-readable report: ``RunReport`` as JSON, versioned by its `schema` field.
///
/// Schema `fleet-run-report/1`: times and latencies are integer nanoseconds (`…Ns`);
/// `latency[].histogram` is an exact HdrHistogram (1 µs lowest discernible value,
/// 3 significant digits) as `buckets: [[value, count], …]`, one pair per non-empty
/// bucket, `value` being the bucket's highest equivalent value. Recording each pair
/// into a histogram of the same layout reproduces it exactly, so histograms of any
/// number of runs merge without loss (``ReportMerge``). Optional sections (`cloud`,
/// `sessions`, `deviceErrors`) are absent when the run had nothing for them, so a
/// report written before they existed reads the same. Keys are sorted so reports
/// diff cleanly.
public enum JSONReport {
    /// A run's report, or several runs' merged one (``MergedReport``), in the same layout.
    public static func encode(_ report: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(report)
    }

    /// Reads a report, refusing schemas this build does not know.
    public static func decode(_ data: Data) throws -> RunReport {
        struct Header: Decodable { var schema: String }
        let schema = try JSONDecoder().decode(Header.self, from: data).schema
        guard schema == RunReport.currentSchema else { throw ReportError.unknownSchema(schema) }
        return try JSONDecoder().decode(RunReport.self, from: data)
    }
}

/// Problems reading or combining reports.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    case unknownSchema(String)
    case noReports

    public var description: String {
        switch self {
        case .unknownSchema(let schema): "report schema \"\(schema)\" is not \(RunReport.currentSchema)"
        case .noReports: "no reports to merge"
        }
    }
}
