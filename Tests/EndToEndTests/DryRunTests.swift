import XCTest

/// `fleet run --dry-run` connects nothing and shows, per step, which devices it selects.
final class DryRunTests: XCTestCase {
    func testEachStepNamesTheDevicesItSelects() throws {
        let outcome = try FleetBinary.run(["run", "Scenarios/quickstart.yaml", "--dry-run"])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        let steps = outcome.output.split(separator: "\n").filter { $0.hasPrefix("    ") }
        XCTAssertEqual(steps.count, 3, outcome.output)
        XCTAssertTrue(steps[0].contains("ramp → 10 devices: quickstart-01…10  (line 24)"), outcome.output)
        // Two devices drawn with the file's seed: the same two on every run.
        XCTAssertTrue(steps[1].contains("disconnect → 2 devices: quickstart-01, quickstart-06  (line 25)"), outcome.output)
        XCTAssertFalse(outcome.output.contains("events:"), "nothing ran: \(outcome.output)")
    }
}
