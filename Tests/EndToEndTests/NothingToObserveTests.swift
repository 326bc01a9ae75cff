import Ledger
import XCTest

/// A scenario whose devices publish nothing (no telemetry, will or birth) gives the observers no topic
/// filter; the run must still happen rather than fail on an empty SUBSCRIBE.
final class NothingToObserveTests: XCTestCase {
    func testRunWithoutObservedTopicsStillRunsAndJudges() throws {
        let run = try FleetBinary.run(scenario: "Tests/EndToEndTests/Fixtures/nothing-to-observe.yaml")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        XCTAssertTrue(try run.events().contains { $0.kind == .runEnded(reason: .completed) })
        let report = try run.report()
        XCTAssertEqual(report.expectations.map(\.name), ["connected-at-end"])
        XCTAssertTrue(report.passed, "\(report.expectations)")
    }
}
