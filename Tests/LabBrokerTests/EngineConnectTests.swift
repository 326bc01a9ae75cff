import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// CONNECT and CONNACK for both versions: acceptance, refusals and the 3.1.1 return codes.
final class EngineConnectTests: XCTestCase {
    func testAcceptsBothVersionsAndAnnouncesTheProfileInMQTT5() throws {
        var profile = BrokerProfile()
        profile.maximumQoS = .atLeastOnce
        profile.retain = .refused(.disconnect)
        profile.maximumPacketSize = 4096
        profile.topicAliasMaximum = 10
        profile.receiveMaximum = 20
        profile.sharedSubscriptions = false
        let harness = EngineHarness(profile: profile)
        let (_, connack) = harness.connect(ConnectPacket(clientIdentifier: "five"))
        XCTAssertEqual(connack.reasonCode, .success)
        XCTAssertFalse(connack.sessionPresent)
        XCTAssertEqual(connack.properties.receiveMaximum, 20)
        XCTAssertEqual(connack.properties.maximumQoS, .atLeastOnce)
        XCTAssertEqual(connack.properties.retainAvailable, false)
        XCTAssertEqual(connack.properties.maximumPacketSize, 4096)
        XCTAssertEqual(connack.properties.topicAliasMaximum, 10)
        XCTAssertEqual(connack.properties.sharedSubscriptionAvailable, false)
        XCTAssertEqual(connack.properties.wildcardSubscriptionAvailable, true)
        XCTAssertEqual(connack.properties.subscriptionIdentifierAvailable, true)
        XCTAssertNil(connack.properties.sessionExpiryInterval)

        let (_, old) = harness.connect(ConnectPacket(clientIdentifier: "three"), version: .v3_1_1)
        XCTAssertEqual(old.reasonCode, .success)
        XCTAssertEqual(harness.engine.statistics.sessions, 2)
    }

    func testFirstPacketMustBeConnect() {
        let harness = EngineHarness()
        let id = harness.open()
        harness.send(.pingreq, on: id)
        XCTAssertTrue(harness.isClosed(id))
        XCTAssertTrue(harness.take(id).isEmpty)
    }

    func testSecondConnectIsAProtocolError() {
        let harness = EngineHarness()
        let id = harness.connected("twice")
        harness.send(.connect(ConnectPacket(clientIdentifier: "twice")), on: id)
        XCTAssertEqual(harness.take(id).first?.disconnectReason, .protocolError)
        XCTAssertTrue(harness.isClosed(id))
    }

    func testUnsupportedVersionGets0x84Or1() {
        var profile = BrokerProfile()
        profile.protocolVersions = [.v3_1_1]
        let harness = EngineHarness(profile: profile)
        let (five, refused5) = harness.connect(ConnectPacket(clientIdentifier: "a"), version: .v5_0)
        XCTAssertEqual(refused5.reasonCode, .unsupportedProtocolVersion)
        XCTAssertTrue(harness.isClosed(five))

        profile.protocolVersions = [.v5_0]
        let other = EngineHarness(profile: profile)
        let (three, refused3) = other.connect(ConnectPacket(clientIdentifier: "a"), version: .v3_1_1)
        XCTAssertEqual(refused3.connectReturnCode, .unacceptableProtocolVersion)
        XCTAssertTrue(other.isClosed(three))
        XCTAssertEqual(other.engine.statistics.connectsRefused, 1)
    }

    func testRequiredTLSRefusesPlainConnections() {
        var profile = BrokerProfile()
        profile.requiresTLS = true
        let harness = EngineHarness(profile: profile)
        let (_, plain5) = harness.connect(ConnectPacket(clientIdentifier: "a"))
        XCTAssertEqual(plain5.reasonCode, .notAuthorized)
        let (_, plain3) = harness.connect(ConnectPacket(clientIdentifier: "b"), version: .v3_1_1)
        XCTAssertEqual(plain3.connectReturnCode, .notAuthorized)
        let (_, secure) = harness.connect(ConnectPacket(clientIdentifier: "c"), facts: ConnectionFacts(transport: .tls))
        XCTAssertEqual(secure.reasonCode, .success)
    }

    func testEmptyClientIdentifier() {
        let harness = EngineHarness()
        let (_, five) = harness.connect(ConnectPacket(clientIdentifier: "", cleanStart: false))
        XCTAssertEqual(five.reasonCode, .success)
        let assigned = five.properties.assignedClientIdentifier
        XCTAssertNotNil(assigned)
        XCTAssertFalse(assigned?.isEmpty ?? true)

        let (_, cleanThree) = harness.connect(ConnectPacket(clientIdentifier: "", cleanStart: true), version: .v3_1_1)
        XCTAssertEqual(cleanThree.reasonCode, .success)

        let (id, persistentThree) = harness.connect(ConnectPacket(clientIdentifier: "", cleanStart: false),
                                                    version: .v3_1_1)
        XCTAssertEqual(persistentThree.connectReturnCode, .identifierRejected)
        XCTAssertTrue(harness.isClosed(id))
        XCTAssertEqual(harness.engine.statistics.sessions, 2)
    }

    func testAuthenticationMethodIsRefused() {
        let harness = EngineHarness()
        let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "a", properties: [.authenticationMethod("SCRAM")]))
        XCTAssertEqual(connack.reasonCode, .badAuthenticationMethod)
        XCTAssertTrue(harness.isClosed(id))
    }

    func testAuthWithoutMethodIsAProtocolError() {
        let harness = EngineHarness()
        let id = harness.connected("a")
        harness.send(.auth(AuthPacket(reasonCode: .reAuthenticate)), on: id)
        XCTAssertEqual(harness.take(id).first?.disconnectReason, .protocolError)
        XCTAssertTrue(harness.isClosed(id))
    }

    func testReturnCodeMappingFor311() {
        let map = BrokerEngine.connectReturnCodeEquivalent(of:)
        XCTAssertEqual(ConnectReturnCode(map(.unsupportedProtocolVersion)).rawValue, 1)
        XCTAssertEqual(ConnectReturnCode(map(.clientIdentifierNotValid)).rawValue, 2)
        XCTAssertEqual(ConnectReturnCode(map(.serverUnavailable)).rawValue, 3)
        XCTAssertEqual(ConnectReturnCode(map(.serverBusy)).rawValue, 3)
        XCTAssertEqual(ConnectReturnCode(map(.badUserNameOrPassword)).rawValue, 4)
        XCTAssertEqual(ConnectReturnCode(map(.notAuthorized)).rawValue, 5)
        XCTAssertEqual(ConnectReturnCode(map(.banned)).rawValue, 5)
        XCTAssertEqual(ConnectReturnCode(map(.qosNotSupported)).rawValue, 5)
    }

    func testLockoutAndRateRefusals() {
        var profile = BrokerProfile()
        profile.throttling = ThrottleRules(connectsPerClient: 1)
        let harness = EngineHarness(profile: profile)
        _ = harness.connected("fast")
        let (second5, rate5) = harness.connect(ConnectPacket(clientIdentifier: "fast"))
        XCTAssertEqual(rate5.reasonCode, .connectionRateExceeded)
        XCTAssertTrue(harness.isClosed(second5))

        let other = EngineHarness(profile: profile)
        _ = other.connected("fast", version: .v3_1_1)
        let id = other.open()
        other.send(.connect(ConnectPacket(clientIdentifier: "fast")), on: id, version: .v3_1_1)
        XCTAssertTrue(other.take(id).isEmpty, "3.1.1 has no code for a rate: the connection is just closed")
        XCTAssertTrue(other.isClosed(id))

        var locking = BrokerProfile()
        locking.requiresTLS = true
        locking.throttling = ThrottleRules(lockout: .init(failures: 2, windowSeconds: 60, durationSeconds: 3600))
        let locked = EngineHarness(profile: locking)
        for _ in 0..<2 { _ = locked.connect(ConnectPacket(clientIdentifier: "bad")) }
        let (_, banned5) = locked.connect(ConnectPacket(clientIdentifier: "bad"), facts: ConnectionFacts(transport: .tls))
        XCTAssertEqual(banned5.reasonCode, .banned)
        let (_, banned3) = locked.connect(ConnectPacket(clientIdentifier: "bad"), version: .v3_1_1,
                                          facts: ConnectionFacts(transport: .tls))
        XCTAssertEqual(banned3.connectReturnCode, .notAuthorized)
    }

    func testKeepAliveAboveMaximum() {
        var profile = BrokerProfile()
        profile.maximumKeepAlive = 60
        let harness = EngineHarness(profile: profile)
        let (_, five) = harness.connect(ConnectPacket(clientIdentifier: "a", keepAliveSeconds: 600))
        XCTAssertEqual(five.reasonCode, .success)
        XCTAssertEqual(five.properties.serverKeepAlive, 60)
        let (id, three) = harness.connect(ConnectPacket(clientIdentifier: "b", keepAliveSeconds: 600), version: .v3_1_1)
        XCTAssertEqual(three.connectReturnCode, .identifierRejected)
        XCTAssertTrue(harness.isClosed(id))
        let (_, within) = harness.connect(ConnectPacket(clientIdentifier: "c", keepAliveSeconds: 60), version: .v3_1_1)
        XCTAssertEqual(within.reasonCode, .success)
    }

    func testMalformedConnectIsRefused() {
        let harness = EngineHarness()
        let id = harness.open()
        // CONNECT with the reserved flag set: protocol name, level 5, flags 0x01, keep alive, no properties, "a".
        var body = ByteBuffer()
        body.writeBytes([0, 4] + Array("MQTT".utf8) + [5, 0x01, 0, 60, 0, 0, 1, UInt8(ascii: "a")])
        harness.sendFrame(MQTTFrame(type: .connect, flags: 0, body: body), on: id)
        if case .connack(let connack)? = harness.take(id).first {
            XCTAssertEqual(connack.reasonCode, .malformedPacket)
        } else {
            XCTFail("no CONNACK")
        }
        XCTAssertTrue(harness.isClosed(id))
    }

    func testUnknownProtocolLevelGetsReturnCode1() {
        let harness = EngineHarness()
        let id = harness.open()
        var body = ByteBuffer()
        body.writeBytes([0, 4] + Array("MQTT".utf8) + [3, 0x02, 0, 60, 0, 1, UInt8(ascii: "a")])
        harness.sendFrame(MQTTFrame(type: .connect, flags: 0, body: body), on: id)
        XCTAssertTrue(harness.isClosed(id))
    }

    func testConnectTimeoutClosesSilentSockets() {
        let harness = EngineHarness()
        let id = harness.open()
        harness.advance(.seconds(29))
        XCTAssertFalse(harness.isClosed(id))
        harness.advance(.seconds(2))
        XCTAssertTrue(harness.isClosed(id))
        XCTAssertEqual(harness.engine.statistics.connections, 0)
    }

    func testCancelledTimersDoNotPileUp() {
        let harness = EngineHarness()
        for index in 0..<5_000 {
            let id = harness.connected("c\(index)", keepAlive: 3_600)
            harness.closeTransport(id)
        }
        XCTAssertEqual(harness.engine.statistics.connections, 0)
        XCTAssertLessThanOrEqual(harness.engine.timers.count, 1_025, "stale entries are compacted away")
    }

    func testSessionLimit() {
        let harness = EngineHarness(limits: BrokerEngineLimits(maximumSessions: 2))
        _ = harness.connected("a", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        let b = harness.connected("b", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        harness.closeTransport(b)
        let (_, five) = harness.connect(ConnectPacket(clientIdentifier: "c"))
        XCTAssertEqual(five.reasonCode, .serverBusy)
        let (_, three) = harness.connect(ConnectPacket(clientIdentifier: "c"), version: .v3_1_1)
        XCTAssertEqual(three.connectReturnCode, .serverUnavailable)
        let (_, existing) = harness.connect(ConnectPacket(clientIdentifier: "b", cleanStart: false))
        XCTAssertEqual(existing.reasonCode, .success, "an existing session is not a new one")
    }

    func testPingAndDisconnect() {
        let harness = EngineHarness()
        let id = harness.connected("p", version: .v3_1_1)
        harness.send(.pingreq, on: id)
        XCTAssertEqual(harness.take(id), [.pingresp])
        harness.send(.disconnect(DisconnectPacket()), on: id)
        XCTAssertTrue(harness.isClosed(id))
        XCTAssertEqual(harness.engine.statistics.connections, 0)
        XCTAssertEqual(harness.engine.statistics.sessions, 0, "clean session ends with its connection")
    }
}
