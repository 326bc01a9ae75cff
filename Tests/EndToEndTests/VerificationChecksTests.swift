import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// The verification claims of `fleet run`, each checked on a small fixture scenario (`Fixtures/`) against the
/// test broker, through the run's JSON report, JUnit file, ledger and exit status.
final class VerificationChecksTests: XCTestCase {
    private static let fixtures = "Tests/EndToEndTests/Fixtures/"

    /// Runs a fixture; returns the run, its plan and the devices its step at `stepIndex` selects.
    /// Live status lines are printed once a second, so the tests can read the verdicts counted as the run went.
    private func play(_ fixture: String, selectedBy stepIndex: Int? = nil) throws -> (FleetBinary.Run, Plan, Set<String>) {
        let path = Self.fixtures + fixture + ".yaml"
        let plan = try LibraryScenarios.plan(path)
        let run = try FleetBinary.run(scenario: path, statusEvery: 1)
        var selected: Set<String> = []
        if let stepIndex {
            let step = try XCTUnwrap(plan.timeline.first { $0.index == stepIndex })
            guard case .disconnect(let spec) = step.action else {
                XCTFail("step \(stepIndex) of \(fixture) is not a disconnect")
                return (run, plan, [])
            }
            selected = Set(DeviceSelector(plan: plan).selectDevices(spec.target, step: stepIndex).map(\.clientID))
        }
        return (run, plan, selected)
    }

    private func verdicts(_ report: RunReport, _ judgement: WillJudgement) -> [WillVerdict] {
        report.wills.verdicts.filter { $0.judgement == judgement }
    }

    func testAbruptDisconnectOfKDevicesYieldsKDeliveredWillsWithLatencies() throws {
        let (run, _, selected) = try play("abrupt-wills", selectedBy: 1)
        XCTAssertEqual(selected.count, 3)
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        let delivered = verdicts(report, .delivered)
        XCTAssertEqual(delivered.count, 3, "one delivered will per abrupt disconnect")
        XCTAssertEqual(Set(delivered.map(\.device)), selected, "the wills are the disconnected devices'")
        for verdict in delivered {
            XCTAssertEqual(verdict.ending, .abrupt)
            XCTAssertEqual(verdict.wills, 1, verdict.device)
            let latency = try XCTUnwrap(verdict.latencyNs, "\(verdict.device) has a will latency")
            XCTAssertLessThanOrEqual(latency, try XCTUnwrap(verdict.deadline) - (try XCTUnwrap(verdict.endedAt)))
        }
        XCTAssertEqual(report.wills.counts["unexpected"], nil, "\(report.wills.counts)")
        XCTAssertEqual(report.wills.counts["missing"], nil, "\(report.wills.counts)")
        XCTAssertTrue(run.outcome.output.contains("faults 3 · wills: delivered 3\n"),
                      "the live lines count the verdicts while the run goes:\n\(run.outcome.output)")
    }

    func testGracefulDisconnectYieldsNoWillAndNoUnexpectedVerdict() throws {
        let (run, _, selected) = try play("graceful-no-will", selectedBy: 1)
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        let graceful = report.wills.verdicts.filter { $0.ending == .graceful }
        XCTAssertTrue(selected.isSubset(of: Set(graceful.map(\.device))), "every graceful disconnect is judged: \(graceful)")
        XCTAssertTrue(graceful.allSatisfy { !$0.judgement.willArrived && $0.wills == 0 }, "\(graceful)")
        XCTAssertEqual(report.wills.counts["unexpected"], nil, "\(report.wills.counts)")
        XCTAssertEqual(report.wills.counts["delivered"], nil, "\(report.wills.counts)")
        let wills = try run.events().filter { if case .willReceived(_, _, false, _) = $0.kind { true } else { false } }
        XCTAssertEqual(wills, [], "no will reached the observers")
    }

    func testWillDroppedByTheBrokerIsMissing() throws {
        let (run, _, selected) = try play("will-dropped-by-acl", selectedBy: 1)
        XCTAssertEqual(run.outcome.status, 1, "the wills expected by the file never came:\n\(run.outcome.output)")
        let report = try run.report()
        let missing = verdicts(report, .missing)
        XCTAssertEqual(Set(missing.map(\.device)), selected, "\(report.wills.verdicts)")
        XCTAssertEqual(missing.count, selected.count)
        XCTAssertEqual(report.expectations.filter { !$0.passed }.map(\.name), ["wills.abrupt"])
        XCTAssertTrue(report.expectations.contains { $0.name == "connect" && $0.passed }, "mosquitto accepted the CONNECT")
    }

    /// Strict deadline: 1.5 × keep-alive, no grace. Mosquitto drops a client only once more than 1.5 × keep-alive
    /// whole seconds have passed since its last packet (and sweeps for that about every 5 s), so each will
    /// arrives, measured from the device's last packet, but late.
    func testKeepAliveExpiryWithStrictDeadlineIsLate() throws {
        let (run, _, selected) = try play("keepalive-expiry-strict", selectedBy: 1)
        XCTAssertEqual(run.outcome.status, 1, run.outcome.output)
        let report = try run.report()
        let late = verdicts(report, .late)
        XCTAssertEqual(Set(late.map(\.device)), selected, "\(report.wills.verdicts)")
        try assertMeasuredFromLastPacket(late, run: run, keepAliveSeconds: 2)
        XCTAssertTrue(run.outcome.output.contains("faults 2 · wills: pending 2\n"),
                      "before their deadline the live lines show the endings as pending:\n\(run.outcome.output)")
        XCTAssertEqual(report.expectations.filter { !$0.passed }.map(\.name), ["wills.silent"])
    }

    /// Widened deadline: 1.5 × keep-alive plus 8 s covers mosquitto's sweep (wills 3.4–8.7 s after the last
    /// packet with this 2 s keep-alive, measured on the test broker).
    func testKeepAliveExpiryWithWidenedGraceIsDelivered() throws {
        let (run, _, selected) = try play("keepalive-expiry-wide", selectedBy: 1)
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        let delivered = verdicts(report, .delivered)
        XCTAssertEqual(Set(delivered.map(\.device)), selected, "\(report.wills.verdicts)")
        try assertMeasuredFromLastPacket(delivered, run: run, keepAliveSeconds: 2)
    }

    /// Each silent ending is dated by the device's last packet (as logged with its fault), which is before the
    /// fault itself, and its will came at least 1.5 × keep-alive after it (the broker cannot know sooner).
    private func assertMeasuredFromLastPacket(_ verdicts: [WillVerdict], run: FleetBinary.Run, keepAliveSeconds: UInt64,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        var lastPackets: [String: UInt64] = [:]
        for event in try run.events() {
            if case .faultInjected(.silent, _, let lastPacketAt?, _, _, _, _, _) = event.kind, let device = event.device {
                lastPackets[device] = lastPacketAt
            }
        }
        for verdict in verdicts {
            XCTAssertEqual(verdict.ending, .silent, file: file, line: line)
            XCTAssertEqual(verdict.endedAt, lastPackets[verdict.device], "\(verdict.device): ended at its last packet",
                           file: file, line: line)
            if let endedAt = verdict.endedAt, let injectedAt = verdict.injectedAt {
                XCTAssertLessThanOrEqual(endedAt, injectedAt, verdict.device, file: file, line: line)
            }
            let latency = try XCTUnwrap(verdict.latencyNs, verdict.device, file: file, line: line)
            XCTAssertGreaterThanOrEqual(latency, keepAliveSeconds * 1_500_000_000, verdict.device, file: file, line: line)
        }
    }

    func testLossyRunReportsTheLossExactly() throws {
        let (run, plan, _) = try play("lossy-stall-then-abrupt")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        guard case .disconnect(let spec) = try XCTUnwrap(plan.timeline.first { $0.index == 2 }).action,
              case .ids(let affected) = spec.target.selection
        else { return XCTFail("step 2 of the fixture disconnects listed devices") }
        let report = try run.report()
        XCTAssertEqual(Set(report.telemetry.irregular.map(\.device)), Set(affected),
                       "only the stalled-then-dropped devices lose anything: \(report.telemetry.irregular)")
        for entry in report.telemetry.irregular {
            let counts = entry.counts
            let sent = try XCTUnwrap(counts.sent, entry.device)
            XCTAssertGreaterThan(counts.lost, 0, entry.device)
            XCTAssertEqual(counts.duplicates, 0, entry.device)
            XCTAssertEqual(counts.lost, sent - counts.unique, "\(entry.device): \(counts)")
        }
        let total = report.telemetry.total
        XCTAssertEqual(total.lost, report.telemetry.irregular.reduce(0) { $0 + $1.counts.lost },
                       "the unaffected devices lost nothing")
        XCTAssertEqual(total.lost, try XCTUnwrap(total.sent) - total.unique, "\(total)")
        XCTAssertEqual(report.telemetry.devices, plan.deviceCount)
    }

    /// The payload is not JSON: every number the observers count comes from the MQTT 5 user properties.
    func testSequenceAndTimestampTravelInUserProperties() throws {
        let (run, plan, _) = try play("user-property-numbers")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        let total = report.telemetry.total
        let sent = try XCTUnwrap(total.sent)
        XCTAssertGreaterThanOrEqual(sent, UInt64(plan.deviceCount) * 10, "\(total)")
        XCTAssertEqual(total.unique, sent, "every sequence was read from its property: \(total)")
        XCTAssertEqual(total.lost, 0, "\(total)")
        let endToEnd = try XCTUnwrap(report.latency.first { $0.phase == .endToEnd }, "end-to-end latency measured")
        XCTAssertEqual(endToEnd.summary.count, total.delivered, "every delivery was timed from its sent-at property")
    }

    func testCommandedDevicesReplyAndEachReplyIsTimedFromItsCommand() throws {
        let (run, plan, _) = try play("command-replies")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        guard case .publish(let spec) = try XCTUnwrap(plan.timeline.first { $0.index == 1 }).action else {
            return XCTFail("step 1 of the fixture is a publish")
        }
        let commanded = Set(DeviceSelector(plan: plan).selectDevices(spec.target, step: 1).map(\.clientID))
        XCTAssertEqual(commanded.count, 3)
        let replies = try run.events().filter { if case .replyReceived = $0.kind { true } else { false } }
        XCTAssertEqual(Set(replies.compactMap(\.device)), commanded, "only the commanded devices answer")
        XCTAssertEqual(replies.count, 3, "one reply per command")
        let roundTrip = try XCTUnwrap(try run.report().latency.first { $0.phase == .commandReply }, "command → reply timed")
        XCTAssertEqual(roundTrip.summary.count, 3)
        // The median of three is one of them: at least the firmware's 100 ms (HDR precision: 3 digits).
        XCTAssertGreaterThanOrEqual(roundTrip.summary.p50Ns, 99_900_000, "each reply waits the firmware's 100 ms")
    }

    func testFailingExpectationExitsOneAndIsNamedInJUnitAndTerminal() throws {
        let (run, _, _) = try play("failing-expectation")
        XCTAssertEqual(run.outcome.status, 1, run.outcome.output)
        let report = try run.report()
        XCTAssertEqual(report.expectations.filter { !$0.passed }.map(\.name), ["connected-at-end"])
        let junit = try run.junit()
        let testcase = try XCTUnwrap(junit.range(of: "<testcase classname=\"fleet.e2e-failing-expectation\" name=\"connected-at-end\""),
                                     junit)
        let rest = junit[testcase.upperBound...]
        let end = try XCTUnwrap(rest.range(of: "</testcase>"), "the failing testcase has a body: \(junit)")
        XCTAssertTrue(rest[..<end.lowerBound].contains("<failure"), junit)
        XCTAssertEqual(junit.components(separatedBy: "<failure").count - 1, 1, "only that expectation fails: \(junit)")
        XCTAssertTrue(run.outcome.output.contains("FAIL connected-at-end"), run.outcome.output)
    }

    func testMalformedScenarioExitsTwoWithItsLocationAndWritesNothing() throws {
        let run = try FleetBinary.run(scenario: Self.fixtures + "malformed.yaml")
        XCTAssertEqual(run.outcome.status, 2, run.outcome.output)
        XCTAssertTrue(run.outcome.errors.contains(Self.fixtures + "malformed.yaml:11:5: error: unknown key `keepalve`"),
                      run.outcome.errors)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run.folder), [], "no ledger, no reports")
    }
}
