import Ledger
import Scenario
import Verification
import XCTest

/// `closed-by-broker` and `resumed-sessions`: the expectations for rules a broker enforces after CONNECT
/// (it closes the connection) and for what it kept of a session (CONNACK session present).
final class BrokerEndingExpectationTests: XCTestCase {
    private typealias F = Fixtures

    private func report(_ expectations: Expectations, _ middle: [RunEvent]) -> RunReport {
        let plan = F.plan([F.group(count: 4, telemetry: false, will: false, birth: false)], expectations: expectations)
        var events = [F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 4))]
        for (index, device) in ["dev-01", "dev-02", "dev-03", "dev-04"].enumerated() {
            events.append(F.connected(F.s(0.1 * Double(index + 1)), device))
        }
        events += middle
        events.append(F.end(F.s(30)))
        return RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: events,
                                                     observers: ObserverSink.merged([])))
    }

    private func result(_ report: RunReport, _ name: String) throws -> ExpectationResult {
        try XCTUnwrap(report.expectations.first { $0.name == name }, "no expectation \(name)")
    }

    private static let brokerEndings = [
        F.event(F.s(2), "dev-01", .disconnected(cause: .serverDisconnect, detail: "DISCONNECT 0x9B QoS not supported")),
        F.event(F.s(3), "dev-01", .connecting(attempt: 2)),
        F.connected(F.s(3.1), "dev-01"),
        F.event(F.s(4), "dev-01", .disconnected(cause: .serverDisconnect, detail: "closed by the broker")),
        F.event(F.s(5), "dev-03", .disconnected(cause: .takenOver, detail: "DISCONNECT 0x8E session taken over")),
        // Endings the device itself caused are not the broker's doing.
        F.fault(F.s(6), "dev-02", .abrupt), F.disconnected(F.s(6), "dev-02", .abrupt),
        F.disconnected(F.s(7), "dev-04", .keepAliveTimeout),
        F.disconnected(F.s(8), "dev-04", .graceful),
    ]

    func testClosedByBrokerCountsDevicesTheBrokerDisconnectedOrTookOver() throws {
        let passing = try result(report(Expectations(closedByBroker: .exactly(2)), Self.brokerEndings), "closed-by-broker")
        XCTAssertTrue(passing.passed, passing.failure)
        XCTAssertEqual(passing.actual, "2", "dev-01 twice counts once; dev-03's takeover counts; dev-02 and dev-04 do not")
        XCTAssertEqual(passing.expected, "exactly 2", "the bound as the file writes it")

        let failing = try result(report(Expectations(closedByBroker: .exactly(0)), Self.brokerEndings), "closed-by-broker")
        XCTAssertFalse(failing.passed)
        XCTAssertEqual(failing.failure, "2 of 4 devices had a connection closed by the broker, expected exactly 0: "
            + "dev-01 (closed by the broker: DISCONNECT 0x9B QoS not supported); dev-03 (taken over: DISCONNECT 0x8E session taken over)")
    }

    func testClosedByBrokerOfARunWhereNothingWasClosed() throws {
        let none = try result(report(Expectations(closedByBroker: .exactly(0)), []), "closed-by-broker")
        XCTAssertTrue(none.passed)
        let expectedSome = try result(report(Expectations(closedByBroker: .atLeast(1)), []), "closed-by-broker")
        XCTAssertFalse(expectedSome.passed)
        XCTAssertEqual(expectedSome.failure, "0 of 4 devices had a connection closed by the broker, expected at least 1")
        let share = try result(report(Expectations(closedByBroker: .percent(50)), Self.brokerEndings), "closed-by-broker")
        XCTAssertTrue(share.passed, "2 of 4 is 50 %")
        XCTAssertEqual(share.expected, "at least 50% of 4")
    }

    func testResumedSessionsCountsDevicesWhoseReconnectFoundTheirSession() throws {
        let reconnects = [
            F.event(F.s(10), "dev-01", .connected(tcpNs: 1, tlsNs: nil, connackNs: 1, sessionPresent: true)),
            F.event(F.s(11), "dev-01", .connected(tcpNs: 1, tlsNs: nil, connackNs: 1, sessionPresent: true)),
            F.event(F.s(10), "dev-02", .connected(tcpNs: 1, tlsNs: nil, connackNs: 1, sessionPresent: false)),
        ]
        let resumed = try result(report(Expectations(resumedSessions: .exactly(1)), reconnects), "resumed-sessions")
        XCTAssertTrue(resumed.passed, resumed.failure)
        XCTAssertEqual(resumed.actual, "1")
        let noneExpected = try result(report(Expectations(resumedSessions: .atMost(0)), reconnects), "resumed-sessions")
        XCTAssertFalse(noneExpected.passed)
        XCTAssertEqual(noneExpected.failure, "1 of 4 devices found their session on a reconnect, expected at most 0: dev-01")
    }

    func testTheNewExpectationsAreOnlyJudgedWhenAsked() {
        let names = report(Expectations(connectedAtEnd: .exactly(4)), Self.brokerEndings).expectations.map(\.name)
        XCTAssertEqual(names, ["connected-at-end"])
    }
}
