import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// PINGREQ when idle, postponed by traffic, PINGRESP timeout, Server Keep Alive.
final class StateMachineKeepAliveTests: XCTestCase {
    func testPingIsSentWhenIdleForTheKeepAliveInterval() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 10 }
        try harness.connect()
        harness.advance(by: .seconds(10))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(10)))
    }

    func testTrafficPostponesThePing() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 10 }
        try harness.connect()
        harness.advance(by: .seconds(4))
        _ = try harness.publish("devices/a", qos: .atMostOnce)
        harness.advance(by: .seconds(6))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: harness.now + .seconds(4)))
        harness.advance(by: .seconds(4))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(10)))
    }

    func testPingRespClearsThePingTimeout() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 10; $0.pingTimeout = .seconds(3) }
        try harness.connect()
        harness.advance(by: .seconds(10))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(3)))
        harness.advance(by: .seconds(1))
        XCTAssertEqual(try harness.receive(.pingresp), .none)
        harness.advance(by: .seconds(2))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: harness.now + .seconds(7)))
        XCTAssertEqual(harness.machine.phase, .connected)
    }

    func testMissingPingRespClosesAbruptlyWithKeepAliveTimeout() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 10; $0.pingTimeout = .seconds(3) }
        try harness.connect()
        let (request, _) = try harness.publish("devices/a", qos: .atLeastOnce)
        harness.advance(by: .seconds(10))
        _ = harness.machine.timerFired(now: harness.now)
        harness.advance(by: .seconds(3))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: true))
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.keepAliveTimeout(.seconds(3))), failedRequests: [try XCTUnwrap(request)]))
    }

    func testPingTimeoutDefaultsToTheKeepAliveInterval() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 5 }
        try harness.connect()
        harness.advance(by: .seconds(5))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(5)))
        harness.advance(by: .seconds(5))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: true))
    }

    func testServerKeepAliveOverridesOurs() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 60 }
        try harness.connect(ConnAckPacket(properties: [.serverKeepAlive(5)]))
        harness.advance(by: .seconds(5))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(5)))
    }

    func testPingTimeoutLongerThanKeepAliveWaitsForTheOutstandingPing() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 2; $0.pingTimeout = .seconds(5) }
        try harness.connect()
        harness.advance(by: .seconds(2))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .writeAndScheduleTimer(.pingreq, at: harness.now + .seconds(2)))
        let pingDeadline = harness.now + .seconds(5)
        harness.advance(by: .seconds(2))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: pingDeadline))
        harness.advance(by: .seconds(3))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: true))
    }
}
