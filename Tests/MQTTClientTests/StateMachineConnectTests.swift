import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// CONNECT, CONNACK (accepted, refused, late, missing) and what CONNACK tells.
final class StateMachineConnectTests: XCTestCase {
    func testChannelActiveSendsConnectFromConfigurationAndArmsConnAckTimeout() {
        let will = Will(
            topic: "devices/d1/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce, retain: true,
            properties: [.willDelayInterval(5), .messageExpiryInterval(60), .contentType("text/plain")])
        var harness = StateMachineHarness { configuration in
            configuration.cleanStart = false
            configuration.sessionExpiryInterval = 3600
            configuration.keepAliveSeconds = 30
            configuration.username = "user"
            configuration.password = ByteBuffer(string: "secret")
            configuration.will = will
            configuration.receiveMaximum = 10
            configuration.topicAliasMaximum = 4
            configuration.connAckTimeout = .seconds(3)
        }
        let expected = ConnectPacket(
            clientIdentifier: "device-0001", cleanStart: false, keepAliveSeconds: 30, username: "user",
            password: ByteBuffer(string: "secret"), will: will,
            properties: [.sessionExpiryInterval(3600), .receiveMaximum(10), .topicAliasMaximum(4)])
        XCTAssertEqual(
            harness.machine.channelActive(now: harness.now),
            .writeAndScheduleTimer(.connect(expected), at: harness.now + .seconds(3)))
        XCTAssertEqual(harness.machine.phase, .awaitingConnAck)
    }

    func testMQTT311ConnectCarriesNoProperties() {
        var harness = StateMachineHarness(version: .v3_1_1) { configuration in
            configuration.sessionExpiryInterval = 3600
            configuration.will = Will(topic: "t", payload: ByteBuffer(), properties: [.willDelayInterval(5)])
        }
        guard case .writeAndScheduleTimer(.connect(let connect), _) = harness.machine.channelActive(now: harness.now) else {
            return XCTFail("no CONNECT")
        }
        XCTAssertTrue(connect.properties.isEmpty)
        XCTAssertEqual(connect.will?.properties.isEmpty, true)
    }

    func testAcceptedConnAckReportsWhatTheServerSaid() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 60 }
        _ = harness.machine.channelActive(now: harness.now)
        let connectSent = harness.now
        harness.advance(by: .milliseconds(20))
        let connAck = ConnAckPacket(
            sessionPresent: true, reasonCode: .success,
            properties: [
                .serverKeepAlive(20), .assignedClientIdentifier("auto-1"), .maximumQoS(.atLeastOnce),
                .retainAvailable(false), .maximumPacketSize(1024), .receiveMaximum(5), .topicAliasMaximum(3),
                .reasonString("welcome"),
            ])
        guard case .connected(let info, let timer) = try harness.receive(.connack(connAck)) else {
            return XCTFail("not connected")
        }
        XCTAssertEqual(timer, connectSent + .seconds(20))
        XCTAssertTrue(info.sessionPresent)
        XCTAssertEqual(info.clientIdentifier, "auto-1")
        XCTAssertEqual(info.assignedClientIdentifier, "auto-1")
        XCTAssertEqual(info.keepAliveSeconds, 20)
        XCTAssertEqual(info.serverKeepAlive, 20)
        XCTAssertEqual(info.maximumQoS, .atLeastOnce)
        XCTAssertFalse(info.retainAvailable)
        XCTAssertEqual(info.maximumPacketSize, 1024)
        XCTAssertEqual(info.receiveMaximum, 5)
        XCTAssertEqual(info.topicAliasMaximum, 3)
        XCTAssertEqual(info.reasonString, "welcome")
        XCTAssertEqual(harness.machine.phase, .connected)
        XCTAssertEqual(harness.machine.connAckInfo, info)
    }

    func testConnAckDefaultsWhenPropertiesAreAbsent() throws {
        var harness = StateMachineHarness(version: .v3_1_1)
        let info = try harness.connect()
        XCTAssertEqual(info.clientIdentifier, "device-0001")
        XCTAssertNil(info.assignedClientIdentifier)
        XCTAssertEqual(info.keepAliveSeconds, 60)
        XCTAssertEqual(info.maximumQoS, .exactlyOnce)
        XCTAssertTrue(info.retainAvailable)
        XCTAssertNil(info.maximumPacketSize)
        XCTAssertEqual(info.receiveMaximum, 65535)
        XCTAssertEqual(info.topicAliasMaximum, 0)
    }

    func testKeepAliveZeroCancelsTheConnAckTimer() throws {
        var harness = StateMachineHarness { $0.keepAliveSeconds = 0 }
        _ = harness.machine.channelActive(now: harness.now)
        guard case .connected(_, let timer) = try harness.receive(.connack(ConnAckPacket())) else {
            return XCTFail("not connected")
        }
        XCTAssertNil(timer)
        harness.advance(by: .seconds(3600))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .none)
    }

    func testRefusedConnAckClosesWithReasonCodeAndString() throws {
        var harness = StateMachineHarness()
        _ = harness.machine.channelActive(now: harness.now)
        let refusal = ConnAckPacket(reasonCode: .notAuthorized, properties: [.reasonString("ACL says no")])
        XCTAssertEqual(try harness.receive(.connack(refusal)), .close(writing: nil, abrupt: false))
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.connectionRefused(.notAuthorized, reasonString: "ACL says no")), failedRequests: []))
    }

    func testRefusedMQTT311ConnAckMapsTheReturnCode() throws {
        var harness = StateMachineHarness(version: .v3_1_1)
        _ = harness.machine.channelActive(now: harness.now)
        XCTAssertEqual(
            try harness.receive(.connack(ConnAckPacket(reasonCode: .badUserNameOrPassword))),
            .close(writing: nil, abrupt: false))
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.connectionRefused(.badUserNameOrPassword, reasonString: nil)), failedRequests: []))
    }

    func testMissingConnAckTimesOut() {
        var harness = StateMachineHarness { $0.connAckTimeout = .seconds(5) }
        _ = harness.machine.channelActive(now: harness.now)
        harness.advance(by: .seconds(2))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .scheduleTimer(at: harness.now + .seconds(3)))
        harness.advance(by: .seconds(3))
        XCTAssertEqual(harness.machine.timerFired(now: harness.now), .close(writing: nil, abrupt: false))
        XCTAssertEqual(
            harness.machine.channelInactive(),
            .reportClosed(.failed(.connAckTimeout(.seconds(5))), failedRequests: []))
    }

    func testRequestsBeforeConnAckAreRefused() {
        var harness = StateMachineHarness()
        _ = harness.machine.channelActive(now: harness.now)
        XCTAssertThrowsError(try harness.publish("devices/a")) { XCTAssertEqual($0 as? MQTTClientError, .notConnected) }
        XCTAssertThrowsError(try harness.machine.subscribe([Subscription(filter: "a")], now: harness.now)) {
            XCTAssertEqual($0 as? MQTTClientError, .notConnected)
        }
    }

    func testTransportFailureReportsTheErrorWithoutActivation() {
        var harness = StateMachineHarness()
        let error = MQTTClientError.tcpConnectFailed(address: "127.0.0.1:1", reason: "refused")
        XCTAssertEqual(harness.machine.transportFailed(error), .reportClosed(.failed(error), failedRequests: []))
        XCTAssertEqual(harness.machine.phase, .closed)
        XCTAssertEqual(harness.machine.channelInactive(), .none)
    }
}
