import Ledger
import Scenario
import XCTest

@testable import Fleet

/// The device side of the twin on virtual time: request IDs, what goes out after the subscriptions are granted
/// and at each report, and how answers are matched and timed.
final class DeviceTwinClientTests: XCTestCase {
    private let report = TwinReportSpec(payload: Template(literal: #"{"firmware":"1.2"}"#), every: .seconds(30))

    func testOnConnectItReadsTheTwinThenReportsAndSchedulesTheNextReport() {
        var client = DeviceTwinClient(spec: TwinSpec(getOnConnect: true, report: report))
        XCTAssertEqual(client.subscribed(now: 1_000), [
            .send(.init(operation: .get, topic: "$iothub/twin/GET/?$rid=1", requestID: "1", reportNumber: 0)),
            .send(.init(operation: .report, topic: "$iothub/twin/PATCH/properties/reported/?$rid=2", requestID: "2",
                        reportNumber: 0)),
            .scheduleReport(.seconds(30)),
        ])
        XCTAssertEqual(client.reportDue(now: 2_000), [
            .send(.init(operation: .report, topic: "$iothub/twin/PATCH/properties/reported/?$rid=3", requestID: "3",
                        reportNumber: 1)),
            .scheduleReport(.seconds(30)),
        ])
        XCTAssertEqual(client.pendingCount, 3)
    }

    func testAnswersAreMatchedByRidAndTimedFromTheirRequest() {
        var client = DeviceTwinClient(spec: TwinSpec(getOnConnect: true, report: report))
        _ = client.subscribed(now: 1_000)
        XCTAssertEqual(client.received(topic: "$iothub/twin/res/204/?$rid=2&$version=5", now: 4_000),
                       .answered(operation: .report, requestID: "2", status: 204, roundTripNs: 3_000))
        XCTAssertEqual(client.received(topic: "$iothub/twin/res/200/?$rid=1", now: 5_000),
                       .answered(operation: .get, requestID: "1", status: 200, roundTripNs: 4_000))
        XCTAssertNil(client.received(topic: "$iothub/twin/res/200/?$rid=1", now: 6_000), "answered once")
        XCTAssertNil(client.received(topic: "$iothub/twin/res/200/?$rid=99", now: 6_000), "not asked")
        XCTAssertNil(client.received(topic: "$iothub/twin/PATCH/properties/desired/?$version=2", now: 6_000))
        XCTAssertEqual(client.pendingCount, 0)
    }

    func testAFailureStatusIsStillAnAnswer() {
        var client = DeviceTwinClient(spec: TwinSpec(getOnConnect: true))
        XCTAssertEqual(client.subscribed(now: 0).count, 1, "a GET only; no report, no timer")
        XCTAssertEqual(client.received(topic: "$iothub/twin/res/429/?$rid=1", now: 10),
                       .answered(operation: .get, requestID: "1", status: 429, roundTripNs: 10))
        XCTAssertEqual(client.reportDue(now: 20), [], "no report configured")
    }

    func testRequestIDsKeepIncreasingAcrossConnectionsAndLostOnesStayUnanswered() {
        var client = DeviceTwinClient(spec: TwinSpec(getOnConnect: true, report: TwinReportSpec(payload: Template(literal: "{}"))))
        XCTAssertEqual(client.subscribed(now: 0).count, 2, "a report without `every`: once per connection, no timer")
        client.connectionLost()
        XCTAssertNil(client.received(topic: "$iothub/twin/res/200/?$rid=1", now: 5), "asked on the lost connection")
        XCTAssertEqual(client.subscribed(now: 10).first,
                       .send(.init(operation: .get, topic: "$iothub/twin/GET/?$rid=3", requestID: "3", reportNumber: 0)))
    }

    func testPendingRequestsAreBounded() {
        var client = DeviceTwinClient(spec: TwinSpec(getOnConnect: false, report: report))
        _ = client.subscribed(now: 0)
        for second in 1...100 { _ = client.reportDue(now: UInt64(second)) }
        XCTAssertEqual(client.pendingCount, DeviceTwinClient.maximumPending)
        XCTAssertNil(client.received(topic: "$iothub/twin/res/204/?$rid=1", now: 200), "the oldest was forgotten")
        XCTAssertNotNil(client.received(topic: "$iothub/twin/res/204/?$rid=101", now: 200))
    }

    func testStatusLevel() {
        XCTAssertEqual(DeviceTwinClient.status(in: "$iothub/twin/res/204/?$rid=1"), 204)
        XCTAssertNil(DeviceTwinClient.status(in: "$iothub/twin/res/ok/?$rid=1"))
        XCTAssertNil(DeviceTwinClient.status(in: "$iothub/twin/res//?$rid=1"))
        XCTAssertNil(DeviceTwinClient.status(in: "$iothub/methods/res/200/?$rid=1"))
    }
}
