import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// `Scenarios/iothub-twin-and-methods.yaml` played by the built `fleet` on the lab broker's IoT Hub profile:
/// X.509 devices subscribe to their devicebound, desired-properties and method topics; the timeline's
/// `iothub` steps send a C2D message, a desired patch and a direct method call; the devices answer the
/// method with the request's `$rid`; the report says what was sent, to whom, whether it arrived and how the
/// calls ended — in one process, and with the devices split over worker processes.
final class IoTHubScenarioTests: XCTestCase {
    private static let path = LibraryScenarios.path("iothub-twin-and-methods")

    func testTheOperatorsMessagesArriveAndTheDevicesAnswerTheMethod() throws {
        try TestCertificates.ensure()
        let plan = try LibraryScenarios.plan(Self.path)
        let run = try FleetBinary.run(scenario: Self.path)
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        try checkRun(run, plan: plan)
        XCTAssertTrue(run.outcome.output.contains("IoT Hub operator"), run.outcome.output)
        XCTAssertTrue(run.outcome.output.contains("method calls  2 called, 2 answered, 0 timed out"), run.outcome.output)
    }

    func testASplitRunSendsTheStepsOnceFromTheCoordinator() throws {
        try TestCertificates.ensure()
        let plan = try LibraryScenarios.plan(Self.path)
        let run = try FleetBinary.run(scenario: Self.path, extra: ["--processes", "2"])
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        XCTAssertTrue(run.outcome.output.contains("2 device processes"), run.outcome.output)
        try checkRun(run, plan: plan)
    }

    /// What both runs must show: every expectation passed (`expect.iothub` among them), each step's
    /// request logged once per selected device and delivered, and each method call answered with 200 after
    /// the firmware's 100 ms, timed from the call.
    private func checkRun(_ run: FleetBinary.Run, plan: Plan, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try run.report()
        XCTAssertTrue(report.passed, "\(report.expectations.filter { !$0.passed })", file: file, line: line)
        XCTAssertEqual(Set(report.expectations.map(\.name)),
                       ["connect", "subscribe", "connected-at-end", "iothub.delivered", "iothub.methods-answered"],
                       file: file, line: line)
        let cloud = try XCTUnwrap(report.cloud, "the report has the IoT Hub section", file: file, line: line)
        XCTAssertEqual(cloud.messages.mapValues(\.sent), ["c2d": 3, "desired": 3, "method": 2], file: file, line: line)
        XCTAssertEqual(cloud.total.delivered, 8, file: file, line: line)
        XCTAssertEqual(cloud.methods.called, 2, file: file, line: line)
        XCTAssertEqual(cloud.methods.answered, 2, file: file, line: line)
        XCTAssertEqual(cloud.methods.statuses, ["200": 2], file: file, line: line)

        let events = try run.events()
        for step in StepFaults.compare(plan: plan, events: events) {
            XCTAssertEqual(step.kind, .cloudMessage, file: file, line: line)
            XCTAssertEqual(step.logged, step.expected, "step at line \(step.step.location.line): its selected devices, once each",
                           file: file, line: line)
        }

        var calls: [String: (device: String?, at: UInt64)] = [:]
        for event in events {
            guard case .faultInjected(.cloudMessage, let text?, _, _, _, _, _, _) = event.kind,
                  let detail = CloudMessageDetail(parsing: text) else { continue }
            XCTAssertEqual(detail.outcome, .delivered, text, file: file, line: line)
            if detail.kind == .c2d {
                XCTAssertEqual(detail.subject, "devices/\(event.device ?? "?")/messages/devicebound/kind=cmd", file: file, line: line)
            }
            if detail.kind == .method, let requestID = DeviceResponse.requestID(in: detail.subject) {
                calls[String(requestID)] = (event.device, event.at)
            }
        }
        XCTAssertEqual(calls.count, 2, file: file, line: line)
        var answered = 0
        for event in events {
            guard case .methodCompleted(let method, let requestID, let outcome, let status, let roundTrip) = event.kind else { continue }
            answered += 1
            let call = try XCTUnwrap(calls[requestID], "completion \(requestID) of a logged call", file: file, line: line)
            XCTAssertEqual(event.device, call.device, file: file, line: line)
            XCTAssertEqual(method, "reboot", file: file, line: line)
            XCTAssertEqual(outcome, .answered, file: file, line: line)
            XCTAssertEqual(status, 200, file: file, line: line)
            XCTAssertGreaterThanOrEqual(roundTrip, 100_000_000, "the firmware's 100 ms processing time", file: file, line: line)
            XCTAssertLessThan(roundTrip, 2_000_000_000, file: file, line: line)
            XCTAssertEqual(event.at, call.at + roundTrip, "timed from the call", file: file, line: line)
        }
        XCTAssertEqual(answered, 2, file: file, line: line)
    }
}
