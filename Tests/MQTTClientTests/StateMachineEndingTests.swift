import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The four endings, server DISCONNECT, the peer closing, and what pending requests become.
final class StateMachineEndingTests: XCTestCase {
    func testGracefulSendsNormalDisconnectAndFailsPendingRequests() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 10 }
        try harness.connect()
        let (request, _) = try harness.publish("devices/a", qos: .atLeastOnce)
        XCTAssertEqual(
            harness.machine.close(.graceful),
            .close(writing: .disconnect(DisconnectPacket(reasonCode: .normalDisconnection)), abrupt: false))
        XCTAssertEqual(harness.machine.close(.abrupt), .none)
        XCTAssertThrowsError(try harness.publish("devices/a")) { XCTAssertEqual($0 as? MQTTClientError, .notConnected) }
        harness.advance(by: .seconds(10))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .none)
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.ended(.graceful), failedRequests: [try XCTUnwrap(request)]))
    }

    func testGracefulWithWillSendsReasonCode4OnMQTT5() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        XCTAssertEqual(
            harness.machine.close(.gracefulWithWill),
            .close(writing: .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)), abrupt: false))
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.ended(.gracefulWithWill), failedRequests: []))
    }

    func testGracefulWithWillOnMQTT311ClosesWithoutDisconnect() throws {
        var harness = StateMachineHarness(version: .v3_1_1)
        try harness.connect()
        XCTAssertEqual(harness.machine.close(.gracefulWithWill), .close(writing: nil, abrupt: false))
    }

    func testAbruptClosesWithoutDisconnect() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        XCTAssertEqual(harness.machine.close(.abrupt), .close(writing: nil, abrupt: true))
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.ended(.abrupt), failedRequests: []))
    }

    func testSilentStopsEverythingUntilThePeerCloses() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 2 }
        try harness.connect()
        XCTAssertEqual(harness.machine.close(.silent), .goSilent)
        XCTAssertEqual(harness.machine.phase, .silent)
        harness.advance(by: .seconds(10))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .none)
        XCTAssertEqual(try harness.receive(.publish(PublishPacket(topic: "a", payload: ByteBuffer()))), .none)
        XCTAssertThrowsError(try harness.publish("devices/a")) { XCTAssertEqual($0 as? MQTTClientError, .notConnected) }
        XCTAssertEqual(harness.machine.close(.graceful), .none)
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.ended(.silent), failedRequests: []))
    }

    func testSilentConnectionCanStillBeEndedAbruptly() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        _ = harness.machine.close(.silent)
        XCTAssertEqual(harness.machine.close(.abrupt), .close(writing: nil, abrupt: true))
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.ended(.abrupt), failedRequests: []))
    }

    func testServerDisconnectIsReportedWithCodeAndString() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (subscribe, _) = try harness.machine.subscribe([Subscription(filter: "a")], now: harness.now)
        let disconnect = DisconnectPacket(reasonCode: .sessionTakenOver, properties: [.reasonString("another client")])
        XCTAssertEqual(try harness.receive(.disconnect(disconnect)), .close(writing: nil, abrupt: false))
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(
                .failed(.serverDisconnected(.sessionTakenOver, reasonString: "another client")),
                failedRequests: [subscribe]))
    }

    func testPeerClosingIsReportedAsClosedByPeerWithQueuedRequests() throws {
        var harness = StateMachineHarness()
        try harness.connect(ConnAckPacket(properties: [.receiveMaximum(1)]))
        let (sent, _) = try harness.publish("devices/a")
        let (queued, _) = try harness.publish("devices/a")
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.closedByPeer), failedRequests: [try XCTUnwrap(sent), try XCTUnwrap(queued)]))
        XCTAssertEqual(harness.machine.channelInactive(), .none)
    }

    func testSocketErrorClosesWithThatError() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        XCTAssertEqual(harness.machine.errorCaught(.io("connection reset by peer")), .close(writing: nil, abrupt: false))
        XCTAssertEqual(harness.machine.errorCaught(.io("second")), .none)
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.io("connection reset by peer")), failedRequests: []))
    }

    func testChannelClosedByItsOwnerIsNotBlamedOnThePeer() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        harness.machine.closeRequestedByChannel()
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.failed(.connectionClosed), failedRequests: []))
    }
}
