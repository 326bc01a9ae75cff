import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Every acknowledgement the client waits for is bounded: a broker that stops answering SUBACK,
/// PUBACK, PUBREC or PUBCOMP has the connection given up, for a reason that names what was missing.
final class StateMachineAcknowledgementTimeoutTests: XCTestCase {
    private func harness() -> StateMachineHarness {
        StateMachineHarness { configuration in
            configuration.keepAliveSeconds = 60
            configuration.publishAckTimeout = .seconds(5)
            configuration.subAckTimeout = .seconds(3)
        }
    }

    func testAMissingPubAckEndsTheConnectionAtItsDeadlineAndNotBefore() throws {
        var harness = harness()
        try harness.connect()
        let (_, action) = try harness.publish("t", qos: .atLeastOnce)
        guard case .writeAndScheduleTimer(_, let deadline) = action else {
            return XCTFail("the first publish arms the timer at its deadline: \(action)")
        }
        XCTAssertEqual(deadline, harness.now + .seconds(5))
        harness.advance(by: .seconds(4))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: deadline))
        harness.advance(by: .seconds(1))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: false))
        let closed = harness.machine.channelInactive()
        XCTAssertEqual(
            closed, .reportClosed(.failed(.acknowledgementTimeout(.puback, .seconds(5))), failedRequests: [MQTTRequestID(1)]))
    }

    func testAPubRecRestartsTheClockForPubComp() throws {
        var harness = harness()
        try harness.connect()
        _ = try harness.publish("t", qos: .exactlyOnce)
        harness.advance(by: .seconds(4))
        _ = try harness.receive(.pubrec(PublishAckPacket(packetIdentifier: 1)))
        harness.advance(by: .seconds(2))
        // The original deadline has passed, but PUBCOMP has its own five seconds.
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: harness.now + .seconds(3)))
        harness.advance(by: .seconds(3))
        _ = harness.machine.timerFired(now: harness.now)
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.acknowledgementTimeout(.pubcomp, .seconds(5))), failedRequests: [MQTTRequestID(1)]))
    }

    func testAMissingSubAckUsesTheSubscribeTimeout() throws {
        var harness = harness()
        try harness.connect()
        let (_, action) = try harness.machine.subscribe([Subscription(filter: "cmd/#", qos: .atLeastOnce)], now: harness.now)
        XCTAssertEqual(action, .writeAndScheduleTimer(try XCTUnwrap(writtenPacket(action)), at: harness.now + .seconds(3)))
        harness.advance(by: .seconds(3))
        _ = harness.machine.timerFired(now: harness.now)
        guard case .reportClosed(.failed(let error), _) = harness.machine.channelInactive() else { return XCTFail() }
        XCTAssertEqual(error, .acknowledgementTimeout(.suback, .seconds(3)))
        XCTAssertEqual(error.description, "no SUBACK within 3000 ms (the broker stopped acknowledging)")
    }

    func testAcknowledgedRequestsLeaveOnlyTheKeepAliveTimer() throws {
        var harness = harness()
        try harness.connect()
        let connectedAt = harness.now
        _ = try harness.publish("t", qos: .atLeastOnce)
        _ = try harness.receive(.puback(PublishAckPacket(packetIdentifier: 1)))
        harness.advance(by: .seconds(5))
        // Nothing is owed: the early wake-up just re-arms for the keep-alive.
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: connectedAt + .seconds(60)))
    }

    func testWithoutKeepAliveTheTimerStillGuardsAcknowledgements() throws {
        var harness = StateMachineHarness { configuration in
            configuration.keepAliveSeconds = 0
            configuration.publishAckTimeout = .seconds(5)
        }
        try harness.connect()
        _ = try harness.publish("t", qos: .atLeastOnce)
        harness.advance(by: .seconds(5))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: false))
    }

    func testLaterPublishesDoNotRearmAnEarlierTimer() throws {
        var harness = harness()
        try harness.connect()
        _ = try harness.publish("t", qos: .atLeastOnce)
        harness.advance(by: .seconds(1))
        let (_, second) = try harness.publish("t", qos: .atLeastOnce)
        guard case .write = second else { return XCTFail("no timer work per message: \(second)") }
    }
}
