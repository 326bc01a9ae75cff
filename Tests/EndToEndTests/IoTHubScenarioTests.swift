import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// `Scenarios/iothub-twin-and-methods.yaml` played by the built `fleet` on the lab broker's IoT Hub profile:
/// X.509 devices subscribe to their devicebound, desired-properties and method topics; the timeline's
/// `iothub` steps send a C2D message, a desired patch and a direct method call; the devices answer the
/// method with the request's `$rid` and method name; they send telemetry with a property bag in its topic, read
/// their twin and patch their reported properties every 3 s; the report says what was sent, to whom, whether it
/// arrived, how the calls ended and how the hub answered each twin request — in one process, and with the devices
/// split over worker processes.
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
        XCTAssertTrue(run.outcome.output.contains("reported PATCH  9 sent, 9 answered, 9 succeeded (9 × 204)"), run.outcome.output)
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
                       ["connect", "subscribe", "connected-at-end", "closed-by-broker", "latency.twin-response.p99",
                        "latency.command-reply.p99", "iothub.delivered", "iothub.methods-answered", "iothub.twin-answered"],
                       file: file, line: line)
        let cloud = try XCTUnwrap(report.cloud, "the report has the IoT Hub section", file: file, line: line)
        XCTAssertEqual(cloud.messages.mapValues(\.sent), ["c2d": 3, "desired": 3, "method": 2], file: file, line: line)
        XCTAssertEqual(cloud.total.delivered, 8, file: file, line: line)
        XCTAssertEqual(cloud.methods.called, 2, file: file, line: line)
        XCTAssertEqual(cloud.methods.answered, 2, file: file, line: line)
        XCTAssertEqual(cloud.methods.statuses, ["200": 2], file: file, line: line)
        // The reply's `"call":{rid}` is JSON only once the `$rid` is in it: the hub counts a bare `{rid}` malformed.
        XCTAssertEqual(cloud.methods.malformed, 0, file: file, line: line)
        try checkTwin(report, events: try run.events(), plan: plan, file: file, line: line)
        XCTAssertNil(report.deviceErrors, "no device-side errors, no failed twin answer", file: file, line: line)

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

    /// Each device's twin requests: a GET then reported patches, with `$rid`s 1, 2, 3, … in order, each answered
    /// once by the hub with 200 (GET) or 204 (PATCH), timed from its request; the telemetry with its property bag
    /// was accepted (every QoS 1 message acknowledged, the connection kept).
    private func checkTwin(_ report: RunReport, events: [RunEvent], plan: Plan,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let twin = try XCTUnwrap(report.twin, "the report has the twin section", file: file, line: line)
        XCTAssertEqual(twin.requests["get"]?.statuses, ["200": 3], file: file, line: line)
        XCTAssertEqual(twin.requests["report"]?.statuses, ["204": 9], "on connect, then at 3 s and 6 s", file: file, line: line)
        XCTAssertEqual(report.latency.first { $0.phase == .twinResponse }?.summary.count, 12, file: file, line: line)
        var asked: [String: [(operation: TwinOperation, rid: String, at: UInt64)]] = [:]
        var answers = 0
        for event in events {
            guard let device = event.device else { continue }
            switch event.kind {
            case .twinRequested(let operation, let rid):
                asked[device, default: []].append((operation, rid, event.at))
            case .twinAnswered(let operation, let rid, let status, let roundTrip):
                answers += 1
                let request = try XCTUnwrap(asked[device]?.first { $0.rid == rid }, "answer \(rid) to a request of \(device)",
                                            file: file, line: line)
                XCTAssertEqual(operation, request.operation, file: file, line: line)
                XCTAssertEqual(status, operation == .get ? 200 : 204, file: file, line: line)
                XCTAssertEqual(event.at, request.at + roundTrip, "timed from the request", file: file, line: line)
            case .telemetrySummary(let sent, let acked, _):
                XCTAssertGreaterThan(sent, 0, file: file, line: line)
                XCTAssertEqual(acked, sent, "the hub acknowledged every message with its property bag", file: file, line: line)
            default:
                continue
            }
        }
        XCTAssertEqual(answers, 12, file: file, line: line)
        XCTAssertEqual(asked.count, 3, file: file, line: line)
        for (device, requests) in asked {
            XCTAssertEqual(requests.map(\.rid), ["1", "2", "3", "4"], device, file: file, line: line)
            XCTAssertEqual(requests.map(\.operation), [.get, .report, .report, .report], device, file: file, line: line)
        }
        let topic = try XCTUnwrap(plan.devices().first?.telemetry?.topic, file: file, line: line)
        XCTAssertEqual(topic, "devices/iothub-thermostat-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&kind=reading",
                       file: file, line: line)
    }
}
