import Foundation
import Ledger
import Reports
import Scenario
import Verification
import XCTest

/// The report's IoT Hub section and `expect.iothub`, from the `cloudMessage` faults and `methodCompleted`
/// events an `iothub` run writes.
final class CloudAnalysisTests: XCTestCase {
    private typealias F = Fixtures

    private static func sent(_ at: Double, _ device: String, _ kind: CloudMessageDetail.Kind, _ subject: String,
                             _ outcome: CloudMessageDetail.Outcome) -> RunEvent {
        F.event(F.s(at), device, .faultInjected(fault: .cloudMessage,
                                                 detail: CloudMessageDetail(kind: kind, subject: subject, outcome: outcome).text))
    }

    private static func ended(_ at: Double, _ device: String, _ requestID: String, _ outcome: MethodOutcome,
                              status: Int?, roundTrip: Double) -> RunEvent {
        F.event(F.s(at), device, .methodCompleted(method: "reboot", requestID: requestID, outcome: outcome, status: status,
                                                  roundTripNs: F.s(roundTrip)))
    }

    /// Three devices: C2D to all (dev-03 not subscribed), a desired patch the hub refused for dev-02, four
    /// method calls — two answered (200, 500), one timed out, one still pending at the end.
    private static let run: [RunEvent] = [
        sent(3, "dev-01", .c2d, "devices/dev-01/messages/devicebound/", .delivered),
        sent(3, "dev-02", .c2d, "devices/dev-02/messages/devicebound/", .delivered),
        sent(3, "dev-03", .c2d, "devices/dev-03/messages/devicebound/", .notDelivered),
        sent(4, "dev-01", .desired, "$iothub/twin/PATCH/properties/desired/?$version=2", .delivered),
        sent(4, "dev-02", .desired, #"patch {"a":[1]}"#, .refused("invalidPatch(arraysNotSupported)")),
        sent(5, "dev-01", .method, "$iothub/methods/POST/reboot/?$rid=1", .delivered),
        sent(5, "dev-02", .method, "$iothub/methods/POST/reboot/?$rid=2", .delivered),
        sent(5, "dev-03", .method, "$iothub/methods/POST/reboot/?$rid=3", .notDelivered),
        sent(6, "dev-01", .method, "$iothub/methods/POST/reboot/?$rid=4", .delivered),
        ended(5.1, "dev-01", "1", .answered, status: 200, roundTrip: 0.1),
        ended(5.25, "dev-02", "2", .answered, status: 500, roundTrip: 0.25),
        ended(15, "dev-03", "3", .timedOut, status: nil, roundTrip: 10),
    ]

    private func report(_ expectations: IoTHubExpectations?, _ middle: [RunEvent] = run) -> RunReport {
        let plan = F.plan([F.group(count: 3, telemetry: false, will: false, birth: false)],
                          expectations: Expectations(iotHub: expectations))
        let events = [F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 3))] + middle + [F.end(F.s(16))]
        return RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: events, observers: ObserverSink.merged([])))
    }

    func testTheSectionCountsEachKindAndEveryMethodEnding() throws {
        let cloud = try XCTUnwrap(report(nil).cloud)
        XCTAssertEqual(cloud.messages["c2d"]?.sent, 3)
        XCTAssertEqual(cloud.messages["c2d"]?.delivered, 2)
        XCTAssertEqual(cloud.messages["c2d"]?.notDelivered, 1)
        XCTAssertEqual(cloud.messages["desired"]?.refused, 1)
        XCTAssertEqual(cloud.messages["method"]?.sent, 4)
        XCTAssertEqual(cloud.total.sent, 9)
        XCTAssertEqual(cloud.total.delivered, 6)
        let methods = cloud.methods
        XCTAssertEqual(methods.called, 4)
        XCTAssertEqual(methods.answered, 2)
        XCTAssertEqual(methods.timedOut, 1)
        XCTAssertEqual(methods.pending, 1, "rid 4 neither answered nor timed out")
        XCTAssertEqual(methods.statuses, ["200": 1, "500": 1])
        XCTAssertEqual(methods.slowestAnswerNs, F.s(0.25))
    }

    func testNoIoTHubRequestNoSection() {
        XCTAssertNil(report(nil, []).cloud)
    }

    func testDeliveredAllFailsOnOneDroppedMessageAndNoneNeedsEveryOneDropped() throws {
        let all = try XCTUnwrap(report(IoTHubExpectations(delivered: .all)).expectations.first { $0.name == "iothub.delivered" })
        XCTAssertFalse(all.passed)
        XCTAssertEqual(all.actual, "6 of 9 delivered, 1 refused by the hub")
        XCTAssertEqual(all.failure, "3 of 9 requests did not reach their device")

        let onlyDelivered = Self.run.filter {
            guard case .faultInjected(.cloudMessage, let detail?, _, _, _, _, _, _) = $0.kind else { return true }
            return CloudMessageDetail(parsing: detail)?.outcome == .delivered
        }
        XCTAssertTrue(try XCTUnwrap(report(IoTHubExpectations(delivered: .all), onlyDelivered).expectations.first).passed)

        let dropped = [Self.sent(3, "dev-03", .c2d, "devices/dev-03/messages/devicebound/", .notDelivered)]
        XCTAssertTrue(try XCTUnwrap(report(IoTHubExpectations(delivered: .noneOfThem), dropped).expectations.first).passed)
        XCTAssertFalse(try XCTUnwrap(report(IoTHubExpectations(delivered: .noneOfThem)).expectations.first).passed)
    }

    func testMethodsAnsweredCountsTimeoutsAndPendingCallsAsUnanswered() throws {
        let result = try XCTUnwrap(report(IoTHubExpectations(methodsAnswered: .all)).expectations.first)
        XCTAssertEqual(result.name, "iothub.methods-answered")
        XCTAssertFalse(result.passed)
        XCTAssertEqual(result.actual, "2 of 4 answered, 1 timed out, 1 pending at the end")

        let answered = [
            Self.sent(5, "dev-01", .method, "$iothub/methods/POST/reboot/?$rid=1", .delivered),
            Self.ended(5.1, "dev-01", "1", .answered, status: 200, roundTrip: 0.1),
        ]
        XCTAssertTrue(try XCTUnwrap(report(IoTHubExpectations(methodsAnswered: .all), answered).expectations.first).passed)
    }

    func testAnExpectationWithNothingSentFailsAndSaysSo() throws {
        let results = report(IoTHubExpectations(delivered: .all, methodsAnswered: .all), []).expectations
        XCTAssertEqual(results.map(\.name), ["iothub.delivered", "iothub.methods-answered"])
        XCTAssertEqual(results.map(\.passed), [false, false])
        XCTAssertEqual(results.map(\.failure), ["the operator sent nothing (no `iothub` step ran)", "no direct method was called"])
    }

    func testTheJSONReportAndTheTerminalSummaryCarryTheSection() throws {
        let original = report(IoTHubExpectations(methodsAnswered: .all))
        let decoded = try JSONReport.decode(try JSONReport.encode(original))
        XCTAssertEqual(decoded.cloud, original.cloud)
        let json = String(decoding: try JSONReport.encode(original), as: UTF8.self)
        XCTAssertTrue(json.contains(#""pending" : 1"#), json)
        let summary = TerminalSummary.render(original)
        XCTAssertTrue(summary.contains("IoT Hub operator"), summary)
        XCTAssertTrue(summary.contains("method calls  4 called, 2 answered, 1 timed out, 1 pending; slowest answer"), summary)
        XCTAssertFalse(TerminalSummary.render(report(nil, [])).contains("IoT Hub operator"))
    }

    func testADetailReadsBackAsWritten() {
        let details: [CloudMessageDetail] = [
            CloudMessageDetail(kind: .c2d, subject: "devices/a/messages/devicebound/k=v", outcome: .delivered),
            CloudMessageDetail(kind: .method, subject: "$iothub/methods/POST/x/?$rid=9", outcome: .notDelivered),
            CloudMessageDetail(kind: .desired, subject: "patch {\"a\": 1}", outcome: .refused("tooManyTwins")),
        ]
        for detail in details { XCTAssertEqual(CloudMessageDetail(parsing: detail.text), detail, detail.text) }
        XCTAssertNil(CloudMessageDetail(parsing: "publish devices/x"))
        XCTAssertNil(CloudMessageDetail(parsing: "c2d devices/x: lost"))
    }
}
