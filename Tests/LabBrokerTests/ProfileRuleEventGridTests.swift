import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Every rule of `eventgrid.yaml`, enforced: the engine runs the shipped profile on virtual time and each
/// test checks what a client of that rule observes, in both MQTT versions where they differ. Devices
/// connect over TLS with a certificate whose CN is their client ID unless a test says otherwise.
final class ProfileRuleEventGridTests: XCTestCase {
    private func harness() throws -> EngineHarness {
        EngineHarness(profile: try shippedProfile("eventgrid"))
    }

    /// Every rule the file sets has its test in this class (or, for the transport, in
    /// `ProfileRuleEventGridServerTests`).
    func testEventGridEveryRuleOfTheFileHasATest() throws {
        let tested: Set<String> = [
            "protocol-versions", "requires-tls", "authentication", "maximum-qos", "qos-above-maximum", "retain",
            "maximum-keep-alive", "topic-alias-maximum", "maximum-packet-size", "maximum-session-expiry", "takeover",
            "max-sessions-per-authentication-name", "unauthorized-will", "shared-subscriptions", "offline-queue", "authorization", "messages-per-client",
            "connects-per-client", "connects-total", "lockout",
        ]
        XCTAssertEqual(Set(try shippedProfile("eventgrid").sources.keys), tested)
    }

    // MARK: protocol-versions, requires-tls, authentication

    func testEventGridProtocolVersionsAcceptBoth311And5() throws {
        let harness = try harness()
        for version in bothVersions {
            let id = harness.connectedDevice("dev-\(version.rawValue)", version: version)
            assertAlive(harness, id)
        }
    }

    func testEventGridRequiresTLSRefusesPlainTCPAndWebSocket() throws {
        let harness = try harness()
        for transport in [ConnectionFacts.Transport.tcp, .webSocket] {
            for version in bothVersions {
                let result = harness.connectDevice("plain-\(transport.rawValue)-\(version.rawValue)", certificate: .none,
                                                   version: version, transport: transport)
                assertRefused(harness, result, version: version, reason: .notAuthorized, returnCode: .notAuthorized)
            }
        }
        for transport in [ConnectionFacts.Transport.tls, .secureWebSocket] {
            _ = harness.connectedDevice("sealed-\(transport.rawValue)", transport: transport)
        }
    }

    func testEventGridAuthenticationNeedsACertificateAndAUsernameEqualToItsCN() throws {
        let harness = try harness()
        for version in bothVersions {
            let v = version.rawValue
            let noCertificate = harness.connectDevice("nocert-\(v)", certificate: .none, version: version)
            assertRefused(harness, noCertificate, version: version, reason: .notAuthorized, returnCode: .notAuthorized)

            let otherName = harness.connectDevice("dev-\(v)", version: version, username: "someone-else")
            assertRefused(harness, otherName, version: version, reason: .badUserNameOrPassword,
                          returnCode: .badUserNameOrPassword)
            // One CONNECT per client ID per second (connects-per-client).
            harness.advance(.seconds(1))

            let sameName = harness.connectedDevice("dev-\(v)", version: version, username: "dev-\(v)")
            harness.disconnect(sameName)
            harness.advance(.seconds(1))
            _ = harness.connectedDevice("dev-\(v)", version: version)
        }
    }

    /// The CN, not the client ID, is the authentication name the topic spaces are granted to.
    func testEventGridAuthenticationNameIsTheCertificateCN() throws {
        let harness = try harness()
        let id = harness.connectedDevice("thing-1", certificate: .commonName("sensor-7"))
        XCTAssertEqual(harness.publishQoS1("devices/sensor-7/t", ByteBuffer(string: "ok"), packetID: 1, on: id).pubackCodes,
                       [.success])
        XCTAssertEqual(harness.publishQoS1("devices/thing-1/t", ByteBuffer(string: "no"), packetID: 2, on: id).pubackCodes,
                       [.notAuthorized])
        XCTAssertEqual(harness.publishQoS1("clients/sensor-7/status", ByteBuffer(string: "ok"), packetID: 3, on: id).pubackCodes,
                       [.success])
        XCTAssertEqual(harness.publishQoS1("clients/thing-1/status", ByteBuffer(string: "no"), packetID: 4, on: id).pubackCodes,
                       [.notAuthorized])
        XCTAssertEqual(harness.subscribe("devices/sensor-7/#", on: id), [.grantedQoS1])
        XCTAssertEqual(harness.subscribe("devices/thing-1/#", on: id), [.notAuthorized])
    }

    // MARK: maximum-qos, qos-above-maximum, retain

    func testEventGridMaximumQoSIs1AnnouncedAndGranted() throws {
        let harness = try harness()
        let (five, connack) = harness.connectDevice("dev-5")
        XCTAssertEqual(connack.properties.maximumQoS, .atLeastOnce)
        XCTAssertEqual(harness.subscribe("devices/dev-5/#", qos: .exactlyOnce, on: five), [.grantedQoS1])
        XCTAssertEqual(harness.publishQoS1("devices/dev-5/t", ByteBuffer(string: "one"), on: five).publishPackets.map(\.qos),
                       [.atLeastOnce])

        let three = harness.connectedDevice("dev-3", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("devices/dev-3/#", qos: .exactlyOnce, on: three), [.grantedQoS1])

        for version in bothVersions {
            let will = Will(topic: "clients/w-\(version.rawValue)/status", payload: ByteBuffer(string: "x"), qos: .exactlyOnce)
            let result = harness.connectDevice("w-\(version.rawValue)", version: version, will: will)
            assertRefused(harness, result, version: version, reason: .qosNotSupported, returnCode: .notAuthorized)
        }
    }

    /// seed 003: "a QoS2 fails and closes the connection" (3.1.1); MQTT 5: DISCONNECT 0x9B.
    func testEventGridQoSAboveMaximumDisconnects() throws {
        let harness = try harness()
        let observer = harness.connectedDevice("observer")
        harness.subscribe("clients/+/status", qos: .atLeastOnce, on: observer)
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            let id = harness.connectedDevice(client, version: version)
            harness.publish("clients/\(client)/status", "two", qos: .exactlyOnce, id: 7, on: id)
            assertEndedByBroker(harness, id, version: version, reason: .qosNotSupported)
        }
        XCTAssertEqual(harness.take(observer), [], "nothing of a refused PUBLISH is delivered")
    }

    func testEventGridRetainIsRefusedWithDisconnect() throws {
        let harness = try harness()
        let (_, connack) = harness.connectDevice("announce")
        XCTAssertEqual(connack.properties.retainAvailable, false)
        for version in bothVersions {
            for qos in [QoS.atMostOnce, .atLeastOnce] {
                let client = "dev-\(version.rawValue)-\(qos.rawValue)"
                let id = harness.connectedDevice(client, version: version)
                harness.publish("devices/\(client)/state", "kept?", qos: qos, retain: true, on: id)
                assertEndedByBroker(harness, id, version: version, reason: .retainNotSupported)
            }
            let will = Will(topic: "clients/w-\(version.rawValue)/status", payload: ByteBuffer(string: "x"),
                            qos: .atLeastOnce, retain: true)
            let result = harness.connectDevice("w-\(version.rawValue)", version: version, will: will)
            assertRefused(harness, result, version: version, reason: .retainNotSupported, returnCode: .notAuthorized)
        }
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 0)
    }

    // MARK: maximum-keep-alive, topic-alias-maximum, maximum-packet-size

    /// seed 003: "Keep Alive Maximum is 1160 seconds". MQTT 5 gets Server Keep Alive 1160 and is held to
    /// it (closed after 1.5 × 1160 s of silence); 3.1.1 cannot be told, so the engine refuses the CONNECT
    /// with return code 2, as `ConnectHandling` documents.
    func testEventGridMaximumKeepAliveIs1160Seconds() throws {
        let harness = try harness()
        let (five, connack) = harness.connectDevice("dev-5", keepAlive: 2000)
        XCTAssertEqual(connack.reasonCode, .success)
        XCTAssertEqual(connack.properties.serverKeepAlive, 1160)
        harness.advance(.seconds(1739))
        XCTAssertFalse(harness.isClosed(five), "1.5 × 1160 s have not passed")
        harness.advance(.seconds(1))
        assertEndedByBroker(harness, five, version: .v5_0, reason: .keepAliveTimeout)

        let (_, within) = harness.connectDevice("dev-5b", keepAlive: 1160)
        XCTAssertNil(within.properties.serverKeepAlive, "a keep-alive within the maximum is kept")

        let tooLong = harness.connectDevice("dev-3", version: .v3_1_1, keepAlive: 2000)
        assertRefused(harness, tooLong, version: .v3_1_1, reason: .clientIdentifierNotValid, returnCode: .identifierRejected)
        let justAbove = harness.connectDevice("dev-3b", version: .v3_1_1, keepAlive: 1161)
        assertRefused(harness, justAbove, version: .v3_1_1, reason: .clientIdentifierNotValid, returnCode: .identifierRejected)
        _ = harness.connectedDevice("dev-3c", version: .v3_1_1, keepAlive: 1160)
    }

    func testEventGridTopicAliasMaximumIs10() throws {
        let harness = try harness()
        let (id, connack) = harness.connectDevice("dev")
        XCTAssertEqual(connack.properties.topicAliasMaximum, 10)
        harness.subscribe("devices/dev/#", qos: .atMostOnce, on: id)
        harness.publish("devices/dev/a", "named", properties: [.topicAlias(10)], on: id)
        harness.publish("", "aliased", properties: [.topicAlias(10)], on: id)
        let delivered = harness.publishes(id)
        XCTAssertEqual(delivered.map(\.topic), ["devices/dev/a", "devices/dev/a"])
        XCTAssertEqual(delivered.map(\.payload.string), ["named", "aliased"])
        harness.publish("devices/dev/b", "too far", properties: [.topicAlias(11)], on: id)
        assertEndedByBroker(harness, id, version: .v5_0, reason: .topicAliasInvalid)
    }

    func testEventGridMaximumPacketSizeIs512KiB() throws {
        let harness = try harness()
        let (_, connack) = harness.connectDevice("announce")
        XCTAssertEqual(connack.properties.maximumPacketSize, 524_288)
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            let id = harness.connectedDevice(client, version: version)
            harness.subscribe("devices/\(client)/#", qos: .atLeastOnce, on: id)
            let largest = publishOfSize(524_288, topic: "devices/\(client)/big", packetID: 1, version: version)
            XCTAssertEqual(encodedSize(largest, version), 524_288)
            harness.send(.publish(largest), on: id)
            let answer = harness.take(id)
            XCTAssertEqual(answer.pubackCodes, [.success], "\(version): 512 KiB is accepted")
            XCTAssertEqual(answer.publishPackets.map(\.payload.readableBytes), [largest.payload.readableBytes])

            let oneMore = publishOfSize(524_289, topic: "devices/\(client)/big", packetID: 2, version: version)
            XCTAssertEqual(encodedSize(oneMore, version), 524_289)
            harness.send(.publish(oneMore), on: id)
            assertEndedByBroker(harness, id, version: version, reason: .packetTooLarge)
        }
    }

    // MARK: maximum-session-expiry, takeover, unauthorized-will, shared-subscriptions

    /// seed 003: 1 hour by default. MQTT 5 asks 7200 s and is granted 3600 in CONNACK; a 3.1.1 persistent
    /// session gets 3600 as well ("applied as the default session expiry interval"). Either way the
    /// session is there 3599 s after the disconnect and gone at 3600 s.
    func testEventGridMaximumSessionExpiryIsOneHour() throws {
        let harness = try harness()
        let (_, asked600) = harness.connectDevice("modest", properties: [.sessionExpiryInterval(600)])
        XCTAssertNil(asked600.properties.sessionExpiryInterval, "a value within the cap is granted as asked")

        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            let properties: MQTTProperties = version == .v5_0 ? [.sessionExpiryInterval(7200)] : []
            let (first, connack) = harness.connectDevice(client, version: version, cleanStart: version == .v5_0,
                                                         properties: properties)
            XCTAssertEqual(connack.reasonCode, .success)
            if version == .v5_0 { XCTAssertEqual(connack.properties.sessionExpiryInterval, 3600) }
            harness.disconnect(first)

            harness.advance(.seconds(3599))
            let (second, resumed) = harness.connectDevice(client, version: version, cleanStart: false, properties: properties)
            XCTAssertTrue(resumed.sessionPresent, "\(version): the session outlives 3599 s")
            harness.disconnect(second)

            harness.advance(.seconds(3600))
            let (_, expired) = harness.connectDevice(client, version: version, cleanStart: false, properties: properties)
            XCTAssertEqual(expired.reasonCode, .success)
            XCTAssertFalse(expired.sessionPresent, "\(version): the session is gone after 3600 s")
        }
    }

    /// A DISCONNECT cannot raise the Session Expiry Interval above the cap either.
    func testEventGridMaximumSessionExpiryCapsTheDisconnectsInterval() throws {
        let harness = try harness()
        let id = harness.connectedDevice("dev", properties: [.sessionExpiryInterval(60)])
        harness.send(.disconnect(DisconnectPacket(properties: [.sessionExpiryInterval(7200)])), on: id)
        harness.advance(.seconds(3599))
        let (again, resumed) = harness.connectDevice("dev", cleanStart: false, properties: [.sessionExpiryInterval(60)])
        XCTAssertTrue(resumed.sessionPresent, "60 s was raised, to the cap")
        harness.send(.disconnect(DisconnectPacket(properties: [.sessionExpiryInterval(7200)])), on: again)
        harness.advance(.seconds(3600))
        let (_, expired) = harness.connectDevice("dev", cleanStart: false)
        XCTAssertFalse(expired.sessionPresent, "7200 s was capped to 3600 s")
    }

    /// seed 003: a client taking over a live session "is rejected with an unauthorized error"; the live
    /// connection goes on.
    func testEventGridTakeoverRefusesTheNewcomer() throws {
        let harness = try harness()
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            let live = harness.connectedDevice(client, version: version)
            harness.subscribe("devices/\(client)/#", qos: .atLeastOnce, on: live)
            harness.advance(.seconds(1))
            let newcomer = harness.connectDevice(client, version: version)
            assertRefused(harness, newcomer, version: version, reason: .notAuthorized, returnCode: .notAuthorized)

            XCTAssertEqual(harness.take(live), [], "the live connection hears nothing of it")
            assertAlive(harness, live)
            let echo = harness.publishQoS1("devices/\(client)/still", ByteBuffer(string: "here"), on: live)
            XCTAssertEqual(echo.pubackCodes, [.success])
            XCTAssertEqual(echo.publishPackets.map(\.payload.string), ["here"])
        }
    }

    /// seed 004's namespace holds 3 sessions per authentication name: three client IDs under one certificate
    /// CN connect, a fourth is refused (0x97; 3.1.1: not authorized) while the three live on, and a freed slot
    /// (a graceful or an abrupt ending) admits it. Another name is not counted against this one.
    func testEventGridMaxSessionsPerAuthenticationNameRefusesOneMore() throws {
        let harness = try harness()
        for version in bothVersions {
            let name = "app-\(version.rawValue)"
            let sessions = (1...3).map {
                harness.connectedDevice("\(name)-session-\($0)", certificate: .commonName(name), version: version)
            }
            let fourth = harness.connectDevice("\(name)-session-4", certificate: .commonName(name), version: version)
            assertRefused(harness, fourth, version: version, reason: .quotaExceeded, returnCode: .notAuthorized)
            for session in sessions { assertAlive(harness, session) }
            _ = harness.connectedDevice("other-\(version.rawValue)", certificate: .commonName("other-\(version.rawValue)"),
                                        version: version)

            harness.advance(.seconds(1))
            harness.disconnect(sessions[0])
            let afterGraceful = harness.connectedDevice("\(name)-session-4", certificate: .commonName(name), version: version)
            harness.advance(.seconds(1))
            harness.closeTransport(sessions[1])
            _ = harness.connectedDevice("\(name)-session-5", certificate: .commonName(name), version: version)
            assertRefused(harness, harness.connectDevice("\(name)-session-6", certificate: .commonName(name), version: version),
                          version: version, reason: .quotaExceeded, returnCode: .notAuthorized)
            assertAlive(harness, afterGraceful)
        }
    }

    /// seed 001: a will on a topic the client may not publish to is "Connection refused: Not authorized".
    func testEventGridUnauthorizedWillRefusesTheConnect() throws {
        let harness = try harness()
        let observer = harness.connectedDevice("observer")
        harness.subscribe("clients/+/status", qos: .atLeastOnce, on: observer)
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            for topic in ["devices/esp32/lwt", "clients/someone-else/status"] {
                let will = Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
                let refused = harness.connectDevice(client, version: version, will: will)
                assertRefused(harness, refused, version: version, reason: .notAuthorized, returnCode: .notAuthorized)
                harness.advance(.seconds(1))
            }
            let own = Will(topic: "clients/\(client)/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
            let id = harness.connectedDevice(client, version: version, will: own)
            harness.closeTransport(id)
            XCTAssertEqual(harness.publishes(observer).map(\.topic), ["clients/\(client)/status"])
        }
    }

    func testEventGridSharedSubscriptionsAreRefused() throws {
        let harness = try harness()
        let (five, connack) = harness.connectDevice("dev-5")
        XCTAssertEqual(connack.properties.sharedSubscriptionAvailable, false)
        XCTAssertEqual(harness.subscribe("$share/group/devices/dev-5/#", on: five), [.sharedSubscriptionsNotSupported])
        XCTAssertEqual(harness.subscribe("devices/dev-5/#", on: five), [.grantedQoS1], "the filter itself is allowed")
        let three = harness.connectedDevice("dev-3", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("$share/group/devices/dev-3/#", on: three), [.unspecifiedError])
        XCTAssertEqual(harness.engine.statistics.subscriptions, 1)
    }

    // MARK: offline-queue

    private func persistentSubscriber(_ harness: EngineHarness, _ client: String, _ version: MQTTProtocolVersion,
                                      file: StaticString = #filePath, line: UInt = #line) -> ConnectionID {
        let properties: MQTTProperties = version == .v5_0 ? [.sessionExpiryInterval(3600)] : []
        let id = harness.connectedDevice(client, version: version, cleanStart: version == .v5_0, properties: properties,
                                         file: file, line: line)
        harness.subscribe("clients/+/status", qos: .atLeastOnce, on: id, file: file, line: line)
        return id
    }

    /// Reconnects `client` to its session a second later: the CONNACK and the messages that follow it.
    private func resume(_ harness: EngineHarness, _ client: String, _ version: MQTTProtocolVersion,
                        file: StaticString = #filePath, line: UInt = #line) -> (ConnAckPacket, [PublishPacket]) {
        harness.advance(.seconds(1))
        let properties: MQTTProperties = version == .v5_0 ? [.sessionExpiryInterval(3600)] : []
        let (id, connack) = harness.connectDevice(client, version: version, cleanStart: false, properties: properties,
                                                  file: file, line: line)
        XCTAssertEqual(connack.reasonCode, .success, file: file, line: line)
        return (connack, harness.publishes(id))
    }

    /// seed 003: "100 messages or 1 MB. Once the queue reaches its limit ... the session is terminated."
    func testEventGridOfflineQueueKeeps100MessagesAndThe101stEndsTheSession() throws {
        for version in bothVersions {
            for count in [100, 101] {
                let harness = try harness()
                let subscriber = persistentSubscriber(harness, "sub", version)
                harness.disconnect(subscriber)
                let publisher = harness.connectedDevice("pub")
                for index in 0..<count {
                    let acks = harness.publishQoS1("clients/pub/status", ByteBuffer(string: "\(index)"),
                                                   packetID: UInt16(index + 1), on: publisher)
                    XCTAssertEqual(acks.pubackCodes, [.success])
                }
                let (connack, delivered) = resume(harness, "sub", version)
                XCTAssertEqual(connack.reasonCode, .success)
                if count == 100 {
                    XCTAssertTrue(connack.sessionPresent, "\(version): 100 queued messages keep the session")
                    XCTAssertEqual(delivered.map(\.payload.string), (0..<100).map { "\($0)" })
                    XCTAssertEqual(Set(delivered.map(\.qos)), [.atLeastOnce])
                } else {
                    XCTAssertFalse(connack.sessionPresent, "\(version): the 101st message ended the session")
                    XCTAssertEqual(delivered, [])
                }
            }
        }
    }

    func testEventGridOfflineQueueOverOneMegabyteEndsTheSession() throws {
        let topic = "clients/pub/status"
        // A queued message weighs its topic and payload: two of these are exactly 1,000,000 bytes.
        let half = ByteBuffer(repeating: UInt8(ascii: "h"), count: 500_000 - topic.utf8.count)
        for version in bothVersions {
            for overflow in [false, true] {
                let harness = try harness()
                let subscriber = persistentSubscriber(harness, "sub", version)
                harness.disconnect(subscriber)
                let publisher = harness.connectedDevice("pub")
                XCTAssertEqual(harness.publishQoS1(topic, half, packetID: 1, on: publisher).pubackCodes, [.success])
                XCTAssertEqual(harness.publishQoS1(topic, half, packetID: 2, on: publisher).pubackCodes, [.success])
                if overflow {
                    XCTAssertEqual(harness.publishQoS1(topic, ByteBuffer(string: "+"), packetID: 3, on: publisher).pubackCodes,
                                   [.success])
                }
                let (connack, delivered) = resume(harness, "sub", version)
                if overflow {
                    XCTAssertFalse(connack.sessionPresent, "\(version): 1 MB + 19 bytes ended the session")
                    XCTAssertEqual(delivered.count, 0)
                } else {
                    XCTAssertTrue(connack.sessionPresent, "\(version): exactly 1 MB is kept")
                    XCTAssertEqual(delivered.map(\.payload.readableBytes), [half.readableBytes, half.readableBytes])
                }
            }
        }
    }

    // MARK: authorization

    func testEventGridAuthorizationGrantsOnlyTheTopicSpaces() throws {
        let harness = try harness()
        let five = harness.connectedDevice("dev-5")
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "devices/dev-5/#", qos: .atLeastOnce),
            Subscription(filter: "devices/dev-5/configuration", qos: .atLeastOnce),
            Subscription(filter: "clients/+/status", qos: .atLeastOnce),
            Subscription(filter: "clients/dev-5/status", qos: .atLeastOnce),
            Subscription(filter: "devices/other/#", qos: .atLeastOnce),
            Subscription(filter: "devices/+/configuration", qos: .atLeastOnce),
            Subscription(filter: "clients/#", qos: .atLeastOnce),
            Subscription(filter: "ssl/mqtt5", qos: .atLeastOnce),
            Subscription(filter: "#", qos: .atLeastOnce),
        ], on: five), [.grantedQoS1, .grantedQoS1, .grantedQoS1, .grantedQoS1,
                       .notAuthorized, .notAuthorized, .notAuthorized, .notAuthorized, .notAuthorized])

        let allowed = ["devices/dev-5/sequence", "clients/dev-5/status"]
        for (index, topic) in allowed.enumerated() {
            let answer = harness.publishQoS1(topic, ByteBuffer(string: "ok"), packetID: UInt16(index + 1), on: five)
            XCTAssertEqual(answer.pubackCodes, [.success], topic)
            XCTAssertEqual(answer.publishPackets.map(\.topic), [topic])
        }
        for (index, topic) in ["devices/other/sequence", "clients/other/status", "devices/esp32/lwt", "ssl/mqtt5"].enumerated() {
            XCTAssertEqual(harness.publishQoS1(topic, ByteBuffer(string: "no"), packetID: UInt16(index + 10), on: five).pubackCodes,
                           [.notAuthorized], topic)
        }
        // QoS 0 has no acknowledgement to refuse with: dropped, and the connection goes on.
        harness.publish("devices/other/sequence", "dropped", on: five)
        assertAlive(harness, five)

        let three = harness.connectedDevice("dev-3", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe([
            Subscription(filter: "devices/dev-3/#", qos: .atLeastOnce),
            Subscription(filter: "devices/other/#", qos: .atLeastOnce),
        ], on: three), [.grantedQoS1, .unspecifiedError])
        XCTAssertEqual(harness.publishQoS1("devices/dev-3/x", ByteBuffer(string: "ok"), on: three).pubackCodes, [.success])
        harness.publish("devices/other/x", "no", qos: .atLeastOnce, id: 2, on: three)
        assertEndedByBroker(harness, three, version: .v3_1_1, reason: .notAuthorized)
        XCTAssertEqual(harness.take(five), [], "no refused PUBLISH reached a subscriber")
    }

    /// LAB MODEL grant: clients authenticated as `fleet-observer*` (the fleet's observers and controller)
    /// subscribe and publish on every topic; a name that only resembles it gets a device's topic spaces.
    func testEventGridAuthorizationLetsFleetObserversWatchAndCommandEveryTopic() throws {
        let harness = try harness()
        for name in ["fleet-observer", "fleet-observer-x1-1"] {
            let observer = harness.connectedDevice(name)
            XCTAssertEqual(harness.subscribe("#", on: observer), [.grantedQoS1], name)
            let command = harness.publishQoS1("devices/XiaoTandHandCO2A/configuration", ByteBuffer(string: "{}"), on: observer)
            XCTAssertEqual(command.pubackCodes, [.success], name)
            XCTAssertEqual(command.publishPackets.map(\.topic), ["devices/XiaoTandHandCO2A/configuration"], name)
        }
        let lookalike = harness.connectedDevice("fleet-observe")
        XCTAssertEqual(harness.subscribe("#", on: lookalike), [.notAuthorized])
        XCTAssertEqual(harness.publishQoS1("devices/XiaoTandHandCO2A/configuration", ByteBuffer(string: "{}"),
                                           on: lookalike).pubackCodes, [.notAuthorized])
    }

    // MARK: messages-per-client, connects-per-client, connects-total, lockout

    /// Event Grid's quota: 1,000 inbound messages per second per session; the 1,001st within one second
    /// ends the connection (MQTT 5: DISCONNECT 0x96).
    func testEventGridMessagesPerClientIs1000PerSecond() throws {
        for version in bothVersions {
            let harness = try harness()
            let id = harness.connectedDevice("dev", version: version)
            for index in 0..<1000 { harness.publish("devices/dev/t", "\(index)", on: id) }
            XCTAssertFalse(harness.isClosed(id), "\(version): 1000 in one second are allowed")
            harness.advance(.milliseconds(999))
            harness.publish("devices/dev/t", "1001st", on: id)
            assertEndedByBroker(harness, id, version: version, reason: .messageRateTooHigh)
        }
    }

    func testEventGridMessagesPerClientWindowSlidesOn() throws {
        let harness = try harness()
        let id = harness.connectedDevice("dev")
        for second in 0..<3 {
            for index in 0..<1000 { harness.publish("devices/dev/t", "\(second)-\(index)", on: id) }
            XCTAssertFalse(harness.isClosed(id), "second \(second)")
            harness.advance(.seconds(1))
        }
        assertAlive(harness, id)
    }

    /// LAB MODEL: one CONNECT per client ID per second; a faster reconnect is refused (MQTT 5: CONNACK
    /// 0x9F; 3.1.1 has no code for it and is closed without a CONNACK).
    func testEventGridConnectsPerClientIsOnePerSecond() throws {
        let harness = try harness()
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            let first = harness.connectedDevice(client, version: version)
            harness.disconnect(first)
            harness.advance(.milliseconds(999))
            let again = harness.attemptConnect(client, version: version)
            switch version {
            case .v5_0: XCTAssertEqual(again.packets, [.connack(ConnAckPacket(reasonCode: .connectionRateExceeded))])
            case .v3_1_1: XCTAssertEqual(again.packets, [])
            }
            XCTAssertTrue(again.closed)
            harness.advance(.milliseconds(1))
            _ = harness.connectedDevice(client, version: version)
        }
    }

    /// LAB MODEL: 200 CONNECTs per second for the whole broker.
    func testEventGridConnectsTotalIs200PerSecond() throws {
        let harness = try harness()
        for index in 0..<200 {
            _ = harness.connectedDevice("c\(index)", version: index.isMultiple(of: 2) ? .v5_0 : .v3_1_1)
        }
        let refused5 = harness.attemptConnect("c200", version: .v5_0)
        XCTAssertEqual(refused5.packets, [.connack(ConnAckPacket(reasonCode: .connectionRateExceeded))])
        XCTAssertTrue(refused5.closed)
        let refused3 = harness.attemptConnect("c201", version: .v3_1_1)
        XCTAssertEqual(refused3.packets, [])
        XCTAssertTrue(refused3.closed)
        XCTAssertEqual(harness.engine.statistics.connections, 200)
        harness.advance(.seconds(1))
        _ = harness.connectedDevice("c202")
    }

    /// LAB MODEL of seed 000's "disabled for a while": 5 refused CONNECTs of one client ID within 60 s
    /// lock it out for 600 s; even a correct CONNECT is refused (0x8A banned; 3.1.1: return code 5)
    /// until the lockout ends.
    func testEventGridLockoutAfterFiveFailuresInSixtySecondsLasts600Seconds() throws {
        let harness = try harness()
        for version in bothVersions {
            let client = "dev-\(version.rawValue)"
            for _ in 0..<5 {
                let failed = harness.connectDevice(client, version: version, username: "intruder")
                assertRefused(harness, failed, version: version, reason: .badUserNameOrPassword,
                              returnCode: .badUserNameOrPassword)
                harness.advance(.seconds(1))
            }
            // The lockout started with the fifth failure, one second ago.
            let during = harness.connectDevice(client, version: version)
            assertRefused(harness, during, version: version, reason: .banned, returnCode: .notAuthorized)
            harness.advance(.seconds(598))
            let stillDuring = harness.connectDevice(client, version: version)
            assertRefused(harness, stillDuring, version: version, reason: .banned, returnCode: .notAuthorized)
            harness.advance(.seconds(1))
            let after = harness.connectedDevice(client, version: version)
            assertAlive(harness, after)
        }
    }

    func testEventGridLockoutNeedsFiveFailuresWithinSixtySeconds() throws {
        let harness = try harness()
        for _ in 0..<4 {
            _ = harness.connectDevice("four", username: "intruder")
            harness.advance(.seconds(1))
        }
        _ = harness.connectedDevice("four")

        for _ in 0..<5 {
            let failed = harness.connectDevice("spread", username: "intruder")
            assertRefused(harness, failed, version: .v5_0, reason: .badUserNameOrPassword, returnCode: .badUserNameOrPassword)
            harness.advance(.seconds(20))
        }
        _ = harness.connectedDevice("spread")
    }
}
