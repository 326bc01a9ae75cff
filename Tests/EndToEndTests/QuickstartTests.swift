import XCTest

/// The README's main job, end to end: `fleet run Scenarios/quickstart.yaml` against the test broker.
final class QuickstartTests: XCTestCase {
    func testQuickstartRunsToItsEndWithoutLossAndPasses() throws {
        let run = try FleetBinary.run(scenario: "Scenarios/quickstart.yaml")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        XCTAssertTrue(report.passed, run.outcome.output)
        XCTAssertEqual(report.telemetry.total.lost, 0)
        XCTAssertGreaterThan(report.telemetry.total.delivered, 0)
        XCTAssertEqual(report.telemetry.total.sent, report.telemetry.total.unique, "every sent message arrived once")
        XCTAssertTrue(try run.junit().contains("<testsuite"), "JUnit file written")
    }
}
