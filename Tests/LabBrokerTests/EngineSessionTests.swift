import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Sessions: clean and persistent, session present, expiry and its cap, offline queue with its bounds,
/// resend on resume.
final class EngineSessionTests: XCTestCase {
    private let persistent: MQTTProperties = [.sessionExpiryInterval(3600)]

    func testCleanAndPersistentSessionsAndSessionPresent() {
        let harness = EngineHarness()
        let first = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", on: first)
        harness.closeTransport(first)
        let (resumed, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false,
                                                               properties: persistent))
        XCTAssertTrue(connack.sessionPresent)
        let publisher = harness.connected("pub")
        harness.publish("cmd", "kept", on: publisher)
        XCTAssertEqual(harness.publishes(resumed).map(\.payload.string), ["kept"], "subscription survived")
        harness.closeTransport(resumed)

        let (fresh, clean) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: true))
        XCTAssertFalse(clean.sessionPresent)
        harness.publish("cmd", "gone", on: publisher)
        XCTAssertTrue(harness.publishes(fresh).isEmpty, "clean start discarded the subscription")

        let three = harness.connected("old", version: .v3_1_1, cleanStart: false)
        harness.subscribe("cmd3", on: three)
        harness.closeTransport(three)
        harness.advance(.seconds(86_400 * 30))
        let (_, back) = harness.connect(ConnectPacket(clientIdentifier: "old", cleanStart: false), version: .v3_1_1)
        XCTAssertTrue(back.sessionPresent, "3.1.1 clean session 0 never expires")
    }

    func testSessionExpiresAfterItsInterval() {
        let harness = EngineHarness()
        let client = harness.connected("dev", cleanStart: false, properties: [.sessionExpiryInterval(10)])
        harness.closeTransport(client)
        harness.advance(.seconds(9))
        XCTAssertEqual(harness.engine.statistics.sessions, 1)
        harness.advance(.seconds(2))
        XCTAssertEqual(harness.engine.statistics.sessions, 0)
        let (_, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false))
        XCTAssertFalse(connack.sessionPresent)
    }

    func testMaximumSessionExpiryCapsAndIsAnnounced() {
        var profile = BrokerProfile()
        profile.maximumSessionExpiry = 60
        let harness = EngineHarness(profile: profile)
        let (five, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false,
                                                            properties: [.sessionExpiryInterval(3600)]))
        XCTAssertEqual(connack.properties.sessionExpiryInterval, 60)
        harness.closeTransport(five)
        harness.advance(.seconds(61))
        XCTAssertEqual(harness.engine.statistics.sessions, 0)

        let three = harness.connected("old", version: .v3_1_1, cleanStart: false)
        harness.closeTransport(three)
        harness.advance(.seconds(59))
        XCTAssertEqual(harness.engine.statistics.sessions, 1)
        harness.advance(.seconds(2))
        XCTAssertEqual(harness.engine.statistics.sessions, 0, "the cap applies to 3.1.1 persistent sessions too")

        let (_, uncapped) = harness.connect(ConnectPacket(clientIdentifier: "short", cleanStart: false,
                                                          properties: [.sessionExpiryInterval(30)]))
        XCTAssertNil(uncapped.properties.sessionExpiryInterval, "announced only when capped")
    }

    func testDisconnectMayChangeSessionExpiryButNotFromZero() {
        let harness = EngineHarness()
        let client = harness.connected("dev", cleanStart: false, properties: [.sessionExpiryInterval(10)])
        harness.send(.disconnect(DisconnectPacket(properties: [.sessionExpiryInterval(100)])), on: client)
        harness.advance(.seconds(50))
        XCTAssertEqual(harness.engine.statistics.sessions, 1, "expiry raised to 100 s at DISCONNECT")
        harness.advance(.seconds(51))
        XCTAssertEqual(harness.engine.statistics.sessions, 0)

        let zero = harness.connected("zero", will: Will(topic: "w", payload: ByteBuffer(string: "x")))
        let watch = harness.connected("watch")
        harness.subscribe("w", on: watch)
        harness.send(.disconnect(DisconnectPacket(properties: [.sessionExpiryInterval(100)])), on: zero)
        XCTAssertEqual(harness.take(zero).last?.disconnectReason, .protocolError)
        XCTAssertEqual(harness.publishes(watch).count, 1, "a protocol error publishes the will")
        XCTAssertEqual(harness.engine.statistics.sessions, 1)
    }

    func testOfflineQueueIsDeliveredInOrderOnReturnAndQoS0IsNotQueued() {
        let harness = EngineHarness()
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd/#", qos: .exactlyOnce, on: device)
        harness.closeTransport(device)
        let publisher = harness.connected("pub")
        harness.publish("cmd/a", "1", qos: .atLeastOnce, id: 1, on: publisher)
        harness.publish("cmd/b", "zero", on: publisher)
        harness.publish("cmd/c", "2", qos: .exactlyOnce, id: 2, on: publisher)
        harness.publish("cmd/d", "3", qos: .atLeastOnce, id: 3, on: publisher)
        let (back, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false,
                                                            properties: persistent))
        XCTAssertTrue(connack.sessionPresent)
        let delivered = harness.publishes(back)
        XCTAssertEqual(delivered.map(\.payload.string), ["1", "2", "3"])
        XCTAssertEqual(delivered.map(\.qos), [.atLeastOnce, .exactlyOnce, .atLeastOnce])
        XCTAssertEqual(Set(delivered.compactMap(\.packetIdentifier)).count, 3)
    }

    func testOfflineQueueOverflowDropsNewest() {
        var profile = BrokerProfile()
        profile.offlineQueue = QueueLimit(messages: 2, bytes: 1 << 20, onOverflow: .dropNewest)
        let harness = EngineHarness(profile: profile)
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", on: device)
        harness.closeTransport(device)
        let publisher = harness.connected("pub")
        for index in 1...4 { harness.publish("cmd", "\(index)", qos: .atLeastOnce, id: UInt16(index), on: publisher) }
        let (back, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false, properties: persistent))
        XCTAssertTrue(connack.sessionPresent)
        XCTAssertEqual(harness.publishes(back).map(\.payload.string), ["1", "2"])
    }

    func testOfflineQueueByteBound() {
        var profile = BrokerProfile()
        profile.offlineQueue = QueueLimit(messages: 100, bytes: 20, onOverflow: .dropNewest)
        let harness = EngineHarness(profile: profile)
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", on: device)
        harness.closeTransport(device)
        let publisher = harness.connected("pub")
        // 3 bytes of topic + 6 of payload: two fit in 20 bytes, the third does not.
        for index in 1...3 { harness.publish("cmd", "12345\(index)", qos: .atLeastOnce, id: UInt16(index), on: publisher) }
        let back = harness.connected("dev", cleanStart: false, properties: persistent)
        XCTAssertEqual(harness.publishes(back).map(\.payload.string), ["123451", "123452"])
    }

    func testOfflineQueueOverflowEndsTheSession() {
        var profile = BrokerProfile()
        profile.offlineQueue = QueueLimit(messages: 2, bytes: 1 << 20, onOverflow: .endSession)
        let harness = EngineHarness(profile: profile)
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", on: device)
        harness.closeTransport(device)
        let publisher = harness.connected("pub")
        for index in 1...3 { harness.publish("cmd", "\(index)", qos: .atLeastOnce, id: UInt16(index), on: publisher) }
        XCTAssertEqual(harness.engine.statistics.sessions, 1, "only the publisher's")
        let (back, connack) = harness.connect(ConnectPacket(clientIdentifier: "dev", cleanStart: false, properties: persistent))
        XCTAssertFalse(connack.sessionPresent)
        XCTAssertTrue(harness.publishes(back).isEmpty)
        harness.publish("cmd", "after", qos: .atLeastOnce, id: 9, on: publisher)
        XCTAssertTrue(harness.publishes(back).isEmpty, "the subscription ended with the session")
    }

    func testFullQueueOfAConnectedSessionDropsInsteadOfEndingIt() {
        var profile = BrokerProfile()
        profile.offlineQueue = QueueLimit(messages: 1, bytes: 1 << 20, onOverflow: .endSession)
        let harness = EngineHarness(profile: profile)
        let device = harness.connected("dev", cleanStart: false, properties: [.sessionExpiryInterval(3600), .receiveMaximum(1)])
        harness.subscribe("cmd", on: device)
        let publisher = harness.connected("pub")
        for index in 1...3 { harness.publish("cmd", "\(index)", qos: .atLeastOnce, id: UInt16(index), on: publisher) }
        let first = harness.publishes(device)
        XCTAssertEqual(first.map(\.payload.string), ["1"], "one in flight, one queued, one dropped")
        XCTAssertFalse(harness.isClosed(device))
        harness.send(.puback(PublishAckPacket(packetIdentifier: first.first?.packetIdentifier ?? 0)), on: device)
        XCTAssertEqual(harness.publishes(device).map(\.payload.string), ["2"])
        XCTAssertEqual(harness.engine.statistics.sessions, 2)
    }

    func testUnacknowledgedMessagesAreResentWithDupBeforeQueuedOnes() {
        let harness = EngineHarness()
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", qos: .exactlyOnce, on: device)
        let publisher = harness.connected("pub")
        harness.publish("cmd", "q1", qos: .atLeastOnce, id: 1, on: publisher)
        harness.publish("cmd", "q2-released", qos: .exactlyOnce, id: 2, on: publisher)
        harness.publish("cmd", "q2-unreceived", qos: .exactlyOnce, id: 3, on: publisher)
        let first = harness.publishes(device)
        XCTAssertEqual(first.count, 3)
        guard first.count == 3, let releasedID = first[1].packetIdentifier else { return }
        harness.send(.pubrec(PublishAckPacket(packetIdentifier: releasedID)), on: device)
        XCTAssertEqual(harness.take(device), [.pubrel(PublishAckPacket(packetIdentifier: releasedID))])
        harness.closeTransport(device)
        harness.publish("cmd", "queued", qos: .atLeastOnce, id: 4, on: publisher)

        let back = harness.connected("dev", cleanStart: false, properties: persistent)
        let resent = harness.take(back)
        XCTAssertEqual(resent.count, 4)
        guard resent.count == 4 else { return }
        guard case .publish(let q1) = resent[0], case .pubrel(let rel) = resent[1],
              case .publish(let unreceived) = resent[2], case .publish(let queued) = resent[3]
        else { return XCTFail("\(resent)") }
        XCTAssertEqual(q1.payload.string, "q1")
        XCTAssertTrue(q1.dup)
        XCTAssertEqual(q1.packetIdentifier, first[0].packetIdentifier)
        XCTAssertEqual(rel.packetIdentifier, releasedID)
        XCTAssertEqual(unreceived.payload.string, "q2-unreceived")
        XCTAssertTrue(unreceived.dup)
        XCTAssertEqual(queued.payload.string, "queued")
        XCTAssertFalse(queued.dup)
    }

    func testInboundQoS2IdentifiersSurviveInTheSession() {
        let harness = EngineHarness()
        let watch = harness.connected("watch")
        harness.subscribe("t", on: watch)
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.publish("t", "once", qos: .exactlyOnce, id: 42, on: device)
        XCTAssertEqual(harness.take(device), [.pubrec(PublishAckPacket(packetIdentifier: 42))])
        harness.closeTransport(device)
        let back = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.send(.publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "once"), qos: .exactlyOnce,
                                            dup: true, packetIdentifier: 42)), on: back)
        XCTAssertEqual(harness.take(back), [.pubrec(PublishAckPacket(packetIdentifier: 42))])
        harness.send(.pubrel(PublishAckPacket(packetIdentifier: 42)), on: back)
        XCTAssertEqual(harness.take(back), [.pubcomp(PublishAckPacket(packetIdentifier: 42))])
        XCTAssertEqual(harness.publishes(watch).count, 1, "delivered once")
    }

    func testMessageExpiryInTheQueue() {
        let harness = EngineHarness()
        let device = harness.connected("dev", cleanStart: false, properties: persistent)
        harness.subscribe("cmd", on: device)
        harness.closeTransport(device)
        let publisher = harness.connected("pub")
        harness.publish("cmd", "short", qos: .atLeastOnce, id: 1, properties: [.messageExpiryInterval(5)], on: publisher)
        harness.publish("cmd", "long", qos: .atLeastOnce, id: 2, properties: [.messageExpiryInterval(100)], on: publisher)
        harness.advance(.seconds(10))
        let back = harness.connected("dev", cleanStart: false, properties: persistent)
        let delivered = harness.publishes(back)
        XCTAssertEqual(delivered.map(\.payload.string), ["long"])
        XCTAssertEqual(delivered.first?.properties.messageExpiryInterval, 90, "lowered by the 10 s it waited")
    }
}
