import Ledger
import Reports
import Scenario
import Verification
import XCTest

/// The report's twin section, its latency phase, the device-side errors for failed answers and
/// `expect.iothub.twin-answered`, from the `twinRequested` / `twinAnswered` events devices write.
final class TwinAnalysisTests: XCTestCase {
    private typealias F = Fixtures

    private static func asked(_ at: Double, _ device: String, _ operation: TwinOperation, _ rid: String) -> RunEvent {
        F.event(F.s(at), device, .twinRequested(operation: operation, requestID: rid))
    }

    private static func answered(_ at: Double, _ device: String, _ operation: TwinOperation, _ rid: String,
                                 _ status: Int, after: Double) -> RunEvent {
        F.event(F.s(at), device, .twinAnswered(operation: operation, requestID: rid, status: status, roundTripNs: F.s(after)))
    }

    /// dev-01: GET 200, PATCH 204; dev-02: GET 200, PATCH 429 (throttled), another PATCH never answered.
    private static let run: [RunEvent] = [
        asked(1, "dev-01", .get, "1"), answered(1.01, "dev-01", .get, "1", 200, after: 0.01),
        asked(1, "dev-01", .report, "2"), answered(1.02, "dev-01", .report, "2", 204, after: 0.02),
        asked(2, "dev-02", .get, "1"), answered(2.005, "dev-02", .get, "1", 200, after: 0.005),
        asked(2, "dev-02", .report, "2"), answered(2.3, "dev-02", .report, "2", 429, after: 0.3),
        asked(5, "dev-02", .report, "3"),
    ]

    private func report(_ expectations: IoTHubExpectations?, _ middle: [RunEvent] = run) -> RunReport {
        let plan = F.plan([F.group(count: 2, telemetry: false, will: false, birth: false)],
                          expectations: Expectations(iotHub: expectations))
        let events = [F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 2))] + middle + [F.end(F.s(6))]
        return RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: events, observers: ObserverSink.merged([])))
    }

    func testTheSectionCountsEachOperationByStatus() throws {
        let twin = try XCTUnwrap(report(nil).twin)
        XCTAssertEqual(twin.requests["get"]?.sent, 2)
        XCTAssertEqual(twin.requests["get"]?.succeeded, 2)
        XCTAssertEqual(twin.requests["report"]?.sent, 3)
        XCTAssertEqual(twin.requests["report"]?.answered, 2)
        XCTAssertEqual(twin.requests["report"]?.succeeded, 1)
        XCTAssertEqual(twin.requests["report"]?.unanswered, 1)
        XCTAssertEqual(twin.requests["report"]?.statuses, ["204": 1, "429": 1])
        XCTAssertEqual(twin.total.sent, 5)
        XCTAssertEqual(twin.slowestAnswerNs, F.s(0.3))
        XCTAssertNil(report(nil, []).twin, "no requests, no section")
    }

    func testRoundTripsAreALatencyPhaseAndFailuresAreDeviceErrors() throws {
        let result = report(nil)
        let phase = try XCTUnwrap(result.latency.first { $0.phase == .twinResponse })
        XCTAssertEqual(phase.summary.count, 4)
        XCTAssertEqual(MeasuredPhase.twinResponse.title, "twin request → response")
        let failures = try XCTUnwrap(result.deviceErrors?.twinFailures)
        XCTAssertEqual(failures.statuses, ["429": 1])
        XCTAssertEqual(failures.requests.top.map(\.device), ["dev-02"])
        XCTAssertNil(report(nil, Array(Self.run.prefix(4))).deviceErrors, "only successes: no device errors")
        let summary = TerminalSummary.render(result)
        XCTAssertTrue(summary.contains("reported PATCH  3 sent, 2 answered, 1 succeeded, 1 unanswered (1 × 204, 1 × 429)"), summary)
        XCTAssertTrue(summary.contains("twin requests the hub failed: 1"), summary)
    }

    func testDirectMethodAnswersAreCommandReplies() throws {
        let call = F.event(F.s(1), "dev-01", .methodCompleted(method: "reboot", requestID: "1", outcome: .answered, status: 200,
                                                               roundTripNs: F.s(0.15)))
        let late = F.event(F.s(12), "dev-02", .methodCompleted(method: "reboot", requestID: "2", outcome: .timedOut,
                                                               roundTripNs: F.s(10)))
        let phase = try XCTUnwrap(report(nil, [call, late]).latency.first { $0.phase == .commandReply })
        XCTAssertEqual(phase.summary.count, 1, "a timed-out call is no reply")
    }

    func testTwinAnsweredAllFailsOnAFailureOrAMissingAnswer() throws {
        let failed = try XCTUnwrap(report(IoTHubExpectations(twinAnswered: .all)).expectations.first)
        XCTAssertEqual(failed.name, "iothub.twin-answered")
        XCTAssertFalse(failed.passed)
        XCTAssertEqual(failed.actual, "3 of 5 answered with success, 1 failed (1 × 429), 1 unanswered")
        let clean = report(IoTHubExpectations(twinAnswered: .all), Array(Self.run.prefix(6)))
        XCTAssertEqual(clean.expectations.map(\.passed), [true])
        let nothing = report(IoTHubExpectations(twinAnswered: .all), [])
        XCTAssertEqual(nothing.expectations.first?.failure, "no device made a twin request (a group's `twin:`)")
        let none = report(IoTHubExpectations(twinAnswered: .noneOfThem))
        XCTAssertFalse(none.expectations[0].passed)
    }
}
