import Ledger
import Scenario
import Verification
import XCTest

/// A small synthetic run through the whole pure pipeline: ledger + observer counts + plan → report.
enum SyntheticRun {
    typealias F = Fixtures

    static let expectations = Expectations(
        wills: WillExpectations(abrupt: .delivered, graceful: .none, deadlineGrace: .seconds(2), stated: [.abrupt, .graceful]),
        telemetry: TelemetryExpectations(maxLoss: 0, maxDuplicates: 5),
        latency: [
            LatencyExpectation(phase: .connack, percentile: 99, max: .milliseconds(5)),
            LatencyExpectation(phase: .endToEnd, percentile: 50, max: .milliseconds(1)),
        ],
        connectedAtEnd: .atLeast(3),
        retainedStatusMatches: true
    )

    static var plan: Plan { F.plan([F.group(count: 3)], expectations: expectations) }

    static var events: [RunEvent] {
        var events: [RunEvent] = [
            F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 3)),
            F.event(0, nil, .timelineStep(index: 0, action: "ramp", line: 10)),
        ]
        for (index, device) in ["dev-01", "dev-02", "dev-03"].enumerated() {
            let at = F.s(0.1 * Double(index + 1))
            events.append(F.event(at, device, .connecting(attempt: 1)))
            events.append(F.connected(at + F.millisecond, device))
            events.append(F.status(at + 2 * F.millisecond, device, "online"))
        }
        events += [
            F.event(F.s(0.5), "dev-03", .connectFailed(stage: .tls, reason: "certificate expired", reasonCode: nil)),
            F.event(F.s(5), nil, .timelineStep(index: 1, action: "disconnect", line: 11)),
            F.fault(F.s(5), "dev-01", .abrupt), F.disconnected(F.s(5), "dev-01", .abrupt), F.will(F.s(5.2), "dev-01"),
            F.fault(F.s(5), "dev-02", .abrupt), F.disconnected(F.s(5), "dev-02", .abrupt),
            F.event(F.s(7), "dev-01", .connecting(attempt: 2)),
            F.connected(F.s(7.1), "dev-01"), F.status(F.s(7.2), "dev-01", "online"),
            F.event(F.s(20), nil, .timelineStep(index: 2, action: "stop", line: 12)),
            F.event(F.s(20.1), "dev-01", .telemetrySummary(sent: 20, acked: 20, lastSequence: 19)),
            F.event(F.s(20.1), "dev-02", .telemetrySummary(sent: 5, acked: 5, lastSequence: 4)),
            F.event(F.s(20.1), "dev-03", .telemetrySummary(sent: 20, acked: 20, lastSequence: 19)),
            F.end(F.s(21)),
        ]
        return events
    }

    static func observers(roster: ObserverRoster) -> ObserverTotals {
        var sink = ObserverSink(roster: roster, ledger: RunEventCollector())
        for sequence in 0..<20 {
            sink.telemetry(device: 0, sequence: UInt64(sequence), sentAtNs: F.s(Double(sequence)),
                           receivedAtNs: F.s(Double(sequence)) + 3 * F.millisecond)
        }
        for sequence in [0, 1, 2, 4] { // 3 lost
            sink.telemetry(device: 1, sequence: UInt64(sequence), sentAtNs: nil, receivedAtNs: F.s(Double(sequence)))
        }
        for sequence in 0..<20 {
            sink.telemetry(device: 2, sequence: UInt64(sequence), sentAtNs: nil, receivedAtNs: F.s(Double(sequence)))
        }
        return ObserverSink.merged([sink])
    }

    static func report() -> RunReport {
        let plan = plan
        var pubacks = LatencyBook()
        for value in 1...100 { pubacks.record(.puback, UInt64(value) * 100_000) }
        return RunAnalysis.report(RunAnalysis.Inputs(
            plan: plan, events: events, observers: observers(roster: ObserverRoster(plan: plan)),
            deviceLatency: pubacks, publishedPerSecond: Array(repeating: 3, count: 20)
        ))
    }
}

final class RunAnalysisTests: XCTestCase {
    private func result(_ report: RunReport, _ name: String) throws -> ExpectationResult {
        try XCTUnwrap(report.expectations.first { $0.name == name }, "no expectation \(name)")
    }

    func testExpectationsTurnNumbersIntoPassFailNamingDevices() throws {
        let report = SyntheticRun.report()
        XCTAssertEqual(report.expectations.map(\.name), [
            "wills.abrupt", "wills.silent", "wills.graceful", "wills.graceful-with-will", "wills.unexplained", "telemetry.loss", "telemetry.duplicates",
            "latency.connack.p99", "latency.end-to-end.p50", "connected-at-end", "retained-status",
        ])
        let abrupt = try result(report, "wills.abrupt")
        XCTAssertFalse(abrupt.passed)
        XCTAssertEqual(abrupt.actual, "1 delivered, 1 missing")
        XCTAssertTrue(abrupt.failure.contains("dev-02 missing"), abrupt.failure)
        XCTAssertTrue(try result(report, "wills.graceful").passed)
        XCTAssertFalse(try result(report, "wills.graceful").isDefault)
        // A default with nothing to judge: not exercised, which fails nothing, and marked as a default.
        let silent = try result(report, "wills.silent")
        XCTAssertEqual(silent.actual, "no silent endings injected")
        XCTAssertEqual([silent.isDefault, silent.exercised, silent.passed], [true, false, true])
        XCTAssertTrue(try result(report, "wills.abrupt").exercised)
        XCTAssertTrue(try result(report, "wills.unexplained").isDefault, "never written in a file")

        let loss = try result(report, "telemetry.loss")
        XCTAssertFalse(loss.passed)
        XCTAssertEqual(loss.actual, "1")
        XCTAssertTrue(loss.failure.contains("dev-02 1"), loss.failure)
        XCTAssertTrue(try result(report, "telemetry.duplicates").passed)

        XCTAssertTrue(try result(report, "latency.connack.p99").passed)
        let endToEnd = try result(report, "latency.end-to-end.p50")
        XCTAssertFalse(endToEnd.passed)
        XCTAssertEqual(endToEnd.actual, "3.00 ms")

        // At the stop step dev-02 is down: 2 of 3 connected.
        let connected = try result(report, "connected-at-end")
        XCTAssertFalse(connected.passed)
        XCTAssertEqual(connected.actual, "2")

        // dev-02's retained status still says online: no will came.
        let status = try result(report, "retained-status")
        XCTAssertFalse(status.passed)
        XCTAssertTrue(status.failure.contains("dev-02 is offline but status is \"online\""), status.failure)
        XCTAssertFalse(report.passed)
    }

    func testReportFigures() throws {
        let report = SyntheticRun.report()
        XCTAssertEqual(report.connections.attempts, 4)
        XCTAssertEqual(report.connections.connects, 4)
        XCTAssertEqual(report.connections.failuresByStage, ["tls": 1])
        XCTAssertEqual(report.connections.disconnectsByCause, ["abrupt": 2])
        XCTAssertEqual(report.telemetry.total, TelemetryCounts(sent: 45, delivered: 44, unique: 44, lost: 1))
        XCTAssertEqual(report.telemetry.irregular.map(\.device), ["dev-02"])
        XCTAssertEqual(report.wills.counts, ["delivered": 1, "missing": 1])
        XCTAssertEqual(report.latency.map(\.phase), [.tcpConnect, .connack, .puback, .endToEnd, .willDelivery])
        let will = try XCTUnwrap(report.latency.first { $0.phase == .willDelivery })
        XCTAssertEqual(Double(will.summary.maxNs), 200e6, accuracy: 200e6 * 0.001)
        XCTAssertEqual(report.series.connected.prefix(8), [3, 3, 3, 3, 3, 1, 1, 2])
        XCTAssertEqual(report.series.delivered.count, 20)
        XCTAssertEqual(report.steps.map(\.action), ["ramp", "disconnect", "stop"])
        XCTAssertEqual(report.faults, [FaultMark(at: Fixtures.s(5), fault: "abrupt", devices: 2)])
        XCTAssertEqual(report.endReason, "completed")
    }

    func testRosterDerivesReaderFromPayloadTemplate() {
        let roster = ObserverRoster(plan: SyntheticRun.plan)
        XCTAssertEqual(roster.deviceCount, 3)
        XCTAssertEqual(roster.directory.lookup("devices/dev-03/sequence"), TopicDirectory.Entry(device: 2, roles: .telemetry))
        XCTAssertEqual(roster.directory.lookup("devices/dev-01/status")?.roles, [.will, .status])
        XCTAssertEqual(roster.reader(for: 0)?.read(payload: Array(#"{"ClientID":"dev-01","Sequence":4,"Time":17}"#.utf8)),
                       TelemetryReader.Fields(sequence: 4, timestamp: 17))
    }

    func testPartitionedSubscriptionsGiveEachDeviceToOneObserver() {
        let roster = ObserverRoster(plan: Fixtures.plan([Fixtures.group(count: 5)]))
        XCTAssertEqual(roster.subscriptions(observer: 0, of: 2), [
            "devices/dev-01/sequence", "devices/dev-03/sequence", "devices/dev-05/sequence",
            "devices/dev-01/status", "devices/dev-02/status", "devices/dev-03/status", "devices/dev-04/status",
            "devices/dev-05/status",
        ])
        XCTAssertEqual(roster.subscriptions(observer: 1, of: 2), ["devices/dev-02/sequence", "devices/dev-04/sequence"])
    }
}
