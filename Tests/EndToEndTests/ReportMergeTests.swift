import Foundation
import Reports
import Verification
import XCTest

/// `fleet report merge`: runs made separately read as one — counts summed, latency histograms merged exactly.
final class ReportMergeTests: XCTestCase {
    private static let fixtures = "Tests/EndToEndTests/Fixtures/"

    func testTwoRunsMergeIntoSummedCountsAndExactlyMergedLatencies() throws {
        let wills = try FleetBinary.run(scenario: Self.fixtures + "abrupt-wills.yaml")
        let telemetry = try FleetBinary.run(scenario: Self.fixtures + "user-property-numbers.yaml")
        XCTAssertEqual(wills.outcome.status, 0, wills.outcome.output)
        XCTAssertEqual(telemetry.outcome.status, 0, telemetry.outcome.output)
        let output = wills.folder + "/merged.json"
        let merge = try FleetBinary.run(["report", "merge", wills.base + ".json", telemetry.base + ".json", "-o", output])
        XCTAssertEqual(merge.status, 0, merge.output)

        let merged = try JSONDecoder().decode(MergedReport.self, from: Data(contentsOf: URL(fileURLWithPath: output)))
        let (first, second) = (try wills.report(), try telemetry.report())
        XCTAssertEqual(merged.runs, ["e2e-abrupt-wills", "e2e-user-property-numbers"])
        XCTAssertEqual(merged.wills["delivered"], 3)
        XCTAssertEqual(merged.telemetry.unique, first.telemetry.total.unique + second.telemetry.total.unique)
        let connects = [first, second].map { $0.latency.first { $0.phase == .tcpConnect }?.summary.count ?? 0 }
        XCTAssertEqual(merged.latency.first { $0.phase == .tcpConnect }?.summary.count, connects.reduce(0, +))
        XCTAssertEqual(merged.expectationsTotal, first.expectations.count + second.expectations.count)
        XCTAssertTrue(merge.output.contains("fleet report merge — 2 runs"), merge.output)
    }

    func testAnUnreadableReportIsNamedAndExitsTwo() throws {
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-junk-\(UUID().uuidString).json")
        try Data("{\"schema\":\"something-else/9\"}".utf8).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        let merge = try FleetBinary.run(["report", "merge", junk.path])
        XCTAssertEqual(merge.status, 2, merge.output)
        XCTAssertTrue(merge.errors.contains(junk.path) && merge.errors.contains("something-else/9"), merge.errors)
    }

    /// The ledger given for its report: one line naming both, exit 2.
    func testALedgerIsNamedAsOneWithItsReport() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-ledger-\(UUID().uuidString)").path
        try Data(#"{"kind":{"runStarted":{"scenario":"s","devices":1,"seed":1}},"at":1}"#.utf8).write(to: URL(fileURLWithPath: base + ".jsonl"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: base + ".json"))
        defer { for suffix in [".jsonl", ".json"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
        let merge = try FleetBinary.run(["report", "merge", base + ".jsonl"])
        XCTAssertEqual(merge.status, 2, merge.output)
        XCTAssertEqual(merge.errors, "fleet report merge: \(base).jsonl is a run ledger (the run's events, one JSON object a line), "
                       + "not a report: merge \(base).json, the report its run wrote beside it\n")
    }
}
