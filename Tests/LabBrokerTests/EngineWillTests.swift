import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Wills: which endings publish them, Will Delay Interval, keep-alive expiry on virtual time, takeover
/// and unauthorized will topics.
final class EngineWillTests: XCTestCase {
    private func will(_ topic: String = "status/dev", delay: UInt32? = nil, retain: Bool = false,
                      properties: MQTTProperties = []) -> Will {
        var all = properties
        if let delay { all.append(.willDelayInterval(delay)) }
        return Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce, retain: retain,
                    properties: all)
    }

    private func watcher(_ harness: EngineHarness, filter: String = "status/#") -> ConnectionID {
        let id = harness.connected("watcher-\(filter)")
        harness.subscribe(filter, on: id)
        return id
    }

    func testAbruptCloseAndDisconnectWithWillPublishButNormalDisconnectDoesNot() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        for version in MQTTProtocolVersion.allCases {
            let abrupt = harness.connected("abrupt\(version)", version: version, will: will())
            harness.closeTransport(abrupt)
            XCTAssertEqual(harness.publishes(watch).map(\.payload.string), ["offline"], "abrupt \(version)")

            let graceful = harness.connected("graceful\(version)", version: version, will: will())
            harness.send(.disconnect(DisconnectPacket()), on: graceful)
            harness.closeTransport(graceful)
            XCTAssertTrue(harness.publishes(watch).isEmpty, "normal disconnect \(version)")
        }
        let withWill = harness.connected("withWill", will: will())
        harness.send(.disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)), on: withWill)
        XCTAssertTrue(harness.isClosed(withWill))
        XCTAssertEqual(harness.publishes(watch).count, 1, "DISCONNECT 0x04")
        XCTAssertEqual(harness.engine.statistics.willsPublished, 3)
    }

    func testProtocolErrorAndMalformedPacketPublishTheWill() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let client = harness.connected("c", will: will())
        // SUBSCRIBE with reserved fixed-header flags: malformed.
        harness.sendFrame(MQTTFrame(type: .subscribe, flags: 0, body: ByteBuffer(bytes: [0, 1, 0, 1, 0x61, 0])), on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .malformedPacket)
        XCTAssertEqual(harness.publishes(watch).count, 1)

        let old = harness.connected("old", version: .v3_1_1, will: will())
        var actions: [BrokerAction] = []
        harness.engine.framingFailed(MQTTDecodeError(kind: .packetTooLarge(size: 10, maximum: 5), packetType: .publish,
                                                     offset: 0, bytes: []),
                                     on: old, now: harness.now, into: &actions)
        XCTAssertEqual(actions.count, 2, "3.1.1: no DISCONNECT, the close and the will")
        guard case .close(old)? = actions.first, case .send(watch, .publish, _)? = actions.last else {
            return XCTFail("\(actions)")
        }
    }

    func testFramingFailureOfOversizedPacketIs0x95() {
        let harness = EngineHarness()
        let client = harness.connected("c")
        var actions: [BrokerAction] = []
        harness.engine.framingFailed(MQTTDecodeError(kind: .packetTooLarge(size: 10, maximum: 5), packetType: .publish,
                                                     offset: 0, bytes: []),
                                     on: client, now: harness.now, into: &actions)
        guard case .send(_, .disconnect(let disconnect), _)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(disconnect.reasonCode, .packetTooLarge)
    }

    func testKeepAliveExpiresAtOneAndAHalfTimes() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let client = harness.connected("sleepy", keepAlive: 10, will: will())
        harness.advance(.seconds(9))
        harness.send(.pingreq, on: client)
        XCTAssertEqual(harness.take(client), [.pingresp])
        // 1.5 × 10 s after the PINGREQ, not after the CONNECT.
        harness.advance(.milliseconds(14_900))
        XCTAssertFalse(harness.isClosed(client))
        XCTAssertTrue(harness.publishes(watch).isEmpty)
        harness.advance(.milliseconds(200))
        XCTAssertTrue(harness.isClosed(client))
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .keepAliveTimeout)
        XCTAssertEqual(harness.publishes(watch).map(\.payload.string), ["offline"])

        let three = harness.connected("sleepy3", version: .v3_1_1, keepAlive: 4, will: will())
        harness.advance(.milliseconds(5_900))
        XCTAssertFalse(harness.isClosed(three))
        harness.advance(.milliseconds(200))
        XCTAssertTrue(harness.isClosed(three))
        XCTAssertTrue(harness.take(three).isEmpty, "3.1.1 has no server DISCONNECT")
        XCTAssertEqual(harness.publishes(watch).count, 1)
    }

    func testKeepAliveZeroMeansNone() {
        let harness = EngineHarness()
        let client = harness.connected("forever", keepAlive: 0)
        harness.advance(.seconds(100_000))
        XCTAssertFalse(harness.isClosed(client))
        XCTAssertNil(harness.engine.nextDeadline.flatMap { $0 < harness.now ? $0 : nil })
    }

    func testServerKeepAliveIsEnforced() {
        var profile = BrokerProfile()
        profile.maximumKeepAlive = 10
        let harness = EngineHarness(profile: profile)
        let client = harness.connected("c", keepAlive: 100)
        harness.advance(.milliseconds(15_100))
        XCTAssertTrue(harness.isClosed(client))
    }

    func testWillDelayIsHonouredAndCancelledByReconnect() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let expiry: MQTTProperties = [.sessionExpiryInterval(300)]
        let client = harness.connected("delayed", cleanStart: false, will: will(delay: 30), properties: expiry)
        harness.closeTransport(client)
        harness.advance(.seconds(29))
        XCTAssertTrue(harness.publishes(watch).isEmpty)
        harness.advance(.seconds(2))
        XCTAssertEqual(harness.publishes(watch).count, 1, "published after the will delay")

        let again = harness.connected("cancelled", cleanStart: false, will: will(delay: 30), properties: expiry)
        harness.closeTransport(again)
        harness.advance(.seconds(10))
        _ = harness.connected("cancelled", cleanStart: false, properties: expiry)
        harness.advance(.seconds(60))
        XCTAssertTrue(harness.publishes(watch).isEmpty, "a reconnect to the session cancels the will")
    }

    func testWillDelayIsCappedBySessionExpiry() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let immediate = harness.connected("zero", will: will(delay: 60))
        harness.closeTransport(immediate)
        XCTAssertEqual(harness.publishes(watch).count, 1, "session expiry 0: the session ends now, so does the wait")

        let short = harness.connected("short", cleanStart: false, will: will(delay: 60),
                                      properties: [.sessionExpiryInterval(5)])
        harness.closeTransport(short)
        harness.advance(.seconds(4))
        XCTAssertTrue(harness.publishes(watch).isEmpty)
        harness.advance(.seconds(2))
        XCTAssertEqual(harness.publishes(watch).count, 1, "published when the session ends at 5 s")
        XCTAssertEqual(harness.engine.statistics.sessions, 1, "only the watcher's session is left")
    }

    func testCleanStartReconnectEndsTheSessionAndPublishesThePendingWill() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let client = harness.connected("c", cleanStart: false, will: will(delay: 60),
                                       properties: [.sessionExpiryInterval(300)])
        harness.closeTransport(client)
        _ = harness.connected("c", cleanStart: true)
        XCTAssertEqual(harness.publishes(watch).count, 1)
    }

    func testWillCarriesItsPropertiesAndRetain() {
        let harness = EngineHarness()
        let properties: MQTTProperties = [
            .messageExpiryInterval(120), .contentType("text/plain"), .responseTopic("reply/here"),
            .correlationData(ByteBuffer(string: "corr")), .userProperty("k", "v"), .payloadFormatIndicator(1),
        ]
        let client = harness.connected("c", will: will(retain: true, properties: properties))
        harness.closeTransport(client)
        let late = harness.connected("late")
        harness.subscribe("status/#", on: late)
        guard let retained = harness.publishes(late).first else { return XCTFail("will not retained") }
        XCTAssertTrue(retained.retain)
        XCTAssertEqual(retained.properties.messageExpiryInterval, 120)
        XCTAssertEqual(retained.properties.contentType, "text/plain")
        XCTAssertEqual(retained.properties.responseTopic, "reply/here")
        XCTAssertEqual(retained.properties.correlationData, ByteBuffer(string: "corr"))
        XCTAssertEqual(retained.properties.userProperty("k"), "v")
        XCTAssertEqual(retained.properties.payloadFormatIndicator, 1)
        XCTAssertNil(retained.properties.willDelayInterval)
    }

    func testWillRetainIsNotStoredWhenTheProfileDoesNotPersist() {
        var profile = BrokerProfile()
        profile.retain = .notPersisted
        let harness = EngineHarness(profile: profile)
        let watch = watcher(harness)
        let client = harness.connected("c", will: will(retain: true))
        harness.closeTransport(client)
        XCTAssertEqual(harness.publishes(watch).map(\.retain), [false])
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 0)
    }

    func testTakeoverReplacesTheOldConnection() {
        let harness = EngineHarness()
        let watch = watcher(harness)
        let old = harness.connected("twin", will: will())
        let new = harness.connected("twin")
        XCTAssertEqual(harness.take(old).last?.disconnectReason, .sessionTakenOver)
        XCTAssertTrue(harness.isClosed(old))
        XCTAssertFalse(harness.isClosed(new))
        XCTAssertEqual(harness.publishes(watch).count, 1, "the old connection's will, it had no delay")

        let delayedOld = harness.connected("twin2", cleanStart: false, will: will(delay: 10),
                                           properties: [.sessionExpiryInterval(60)])
        let (_, connack) = harness.connect(ConnectPacket(clientIdentifier: "twin2", cleanStart: false,
                                                         properties: [.sessionExpiryInterval(60)]))
        XCTAssertTrue(connack.sessionPresent)
        XCTAssertTrue(harness.isClosed(delayedOld))
        harness.advance(.seconds(20))
        XCTAssertTrue(harness.publishes(watch).isEmpty, "the new connection continues the session within the delay")

        let old3 = harness.connected("twin3", version: .v3_1_1)
        _ = harness.connected("twin3", version: .v3_1_1)
        XCTAssertTrue(harness.take(old3).isEmpty, "3.1.1: just closed")
        XCTAssertTrue(harness.isClosed(old3))
    }

    func testTakeoverRefusedUnderRefuseNew() {
        var profile = BrokerProfile()
        profile.takeover = .refuseNew
        let harness = EngineHarness(profile: profile)
        let watch = watcher(harness)
        let old = harness.connected("twin", will: will())
        let (impostor, refused) = harness.connect(ConnectPacket(clientIdentifier: "twin"))
        XCTAssertEqual(refused.reasonCode, .notAuthorized)
        XCTAssertTrue(harness.isClosed(impostor))
        XCTAssertFalse(harness.isClosed(old))
        XCTAssertTrue(harness.take(old).isEmpty)
        XCTAssertTrue(harness.publishes(watch).isEmpty)
        let (_, refused3) = harness.connect(ConnectPacket(clientIdentifier: "twin"), version: .v3_1_1)
        XCTAssertEqual(refused3.connectReturnCode, .notAuthorized)
        harness.send(.pingreq, on: old)
        XCTAssertEqual(harness.take(old), [.pingresp], "the live connection is untouched")
    }

    private func deviceProfile(_ rule: UnauthorizedWillRule) -> BrokerProfile {
        var profile = BrokerProfile()
        profile.unauthorizedWill = rule
        profile.authorization = [
            TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish, .subscribe]),
            TopicPermission(topicTemplate: "#", actions: [.subscribe], identity: "watcher*"),
        ]
        return profile
    }

    func testUnauthorizedWillRefusesTheConnect() {
        let harness = EngineHarness(profile: deviceProfile(.refuseConnect))
        let (_, five) = harness.connect(ConnectPacket(clientIdentifier: "d1", will: will("devices/d2/status")))
        XCTAssertEqual(five.reasonCode, .notAuthorized)
        let (_, three) = harness.connect(ConnectPacket(clientIdentifier: "d1", will: will("devices/d2/status")),
                                         version: .v3_1_1)
        XCTAssertEqual(three.connectReturnCode, .notAuthorized)
        let (_, own) = harness.connect(ConnectPacket(clientIdentifier: "d1", will: will("devices/d1/status")))
        XCTAssertEqual(own.reasonCode, .success)
    }

    func testUnauthorizedWillIsDroppedUnderDropWill() {
        let harness = EngineHarness(profile: deviceProfile(.dropWill))
        let watch = watcher(harness, filter: "#")
        let client = harness.connected("d1", will: will("devices/d2/status"))
        harness.closeTransport(client)
        XCTAssertTrue(harness.publishes(watch).isEmpty)
        let allowed = harness.connected("d3", will: will("devices/d3/status"))
        harness.closeTransport(allowed)
        XCTAssertEqual(harness.publishes(watch).map(\.topic), ["devices/d3/status"])
    }
}
