import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// `fleet run --processes N`: the devices are split over worker processes, and the run reads like one —
/// the same selections, every device driven exactly once, every count in one report.
final class SplitRunTests: XCTestCase {
    private static let fixtures = "Tests/EndToEndTests/Fixtures/"

    func testWillsOfASplitRunAreJudgedAsInOneProcess() throws {
        let path = Self.fixtures + "abrupt-wills.yaml"
        let plan = try LibraryScenarios.plan(path)
        let run = try FleetBinary.run(scenario: path, statusEvery: 1, extra: ["--processes", "2"])
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        XCTAssertTrue(run.outcome.output.contains("2 device processes"), run.outcome.output)

        let connects = try run.events().compactMap { event -> String? in
            if case .connected = event.kind { return event.device } else { return nil }
        }
        XCTAssertEqual(connects.sorted(), plan.devices().map(\.clientID).sorted(),
                       "every device connected exactly once: no device driven by two workers")
        guard case .disconnect(let spec) = try XCTUnwrap(plan.timeline.first { $0.index == 1 }).action else {
            return XCTFail("step 1 of the fixture is a disconnect")
        }
        let selected = Set(DeviceSelector(plan: plan).selectDevices(spec.target, step: 1).map(\.clientID))
        let delivered = try run.report().wills.verdicts.filter { $0.judgement == .delivered }
        XCTAssertEqual(Set(delivered.map(\.device)), selected, "the seed picks the same devices across workers")
        XCTAssertEqual(delivered.count, 3)
        XCTAssertTrue(run.outcome.output.contains("faults 3 · wills: delivered 3\n"),
                      "the workers' events reach the live verdicts:\n\(run.outcome.output)")
    }

    func testTelemetryOfASplitRunIsCountedExactly() throws {
        let path = Self.fixtures + "user-property-numbers.yaml"
        let plan = try LibraryScenarios.plan(path)
        let run = try FleetBinary.run(scenario: path, extra: ["--processes", "3"])
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        let total = report.telemetry.total
        let sent = try XCTUnwrap(total.sent, "every worker reported its devices' counts")
        XCTAssertGreaterThanOrEqual(sent, UInt64(plan.deviceCount) * 10)
        XCTAssertEqual(total.unique, sent, "\(total)")
        XCTAssertEqual(total.lost, 0)
        XCTAssertEqual(report.telemetry.devices, plan.deviceCount)
        let summaries = try run.events().filter { if case .telemetrySummary = $0.kind { true } else { false } }
        XCTAssertEqual(Set(summaries.compactMap(\.device)), Set(plan.devices().map(\.clientID)))
        let acknowledged = try XCTUnwrap(report.latency.first { $0.phase == .puback }, "the workers' PUBACK latencies")
        XCTAssertEqual(acknowledged.summary.count, sent, "one PUBACK per QoS 1 message, from all three workers")
    }
}
