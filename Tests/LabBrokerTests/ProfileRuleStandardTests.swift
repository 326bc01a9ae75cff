import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Every rule of `standard.yaml`, enforced: the specification and nothing more, so none of the cloud
/// limits apply (QoS 2 works, retained messages are stored, a takeover replaces the old connection with
/// 0x8E, large packets pass). Clients connect over plain TCP, anonymously.
final class ProfileRuleStandardTests: XCTestCase {
    private func harness() throws -> EngineHarness {
        EngineHarness(profile: try shippedProfile("standard"))
    }

    func testStandardEveryRuleOfTheFileHasATest() throws {
        let tested: Set<String> = [
            "protocol-versions", "requires-tls", "authentication", "maximum-qos", "retain", "maximum-keep-alive",
            "topic-alias-maximum", "maximum-packet-size", "receive-maximum", "maximum-session-expiry", "takeover",
            "shared-subscriptions", "authorization",
        ]
        XCTAssertEqual(Set(try shippedProfile("standard").sources.keys), tested)
    }

    func testStandardProtocolVersionsAcceptBoth311And5() throws {
        let harness = try harness()
        for version in bothVersions {
            assertAlive(harness, harness.connected("c-\(version.rawValue)", version: version))
        }
    }

    func testStandardRequiresTLSIsOffPlainTransportsAreAccepted() throws {
        let harness = try harness()
        for transport in [ConnectionFacts.Transport.tcp, .webSocket, .tls, .secureWebSocket] {
            for version in bothVersions {
                let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "c-\(transport.rawValue)-\(version.rawValue)",
                                                                  keepAliveSeconds: 0),
                                                    version: version, facts: ConnectionFacts(transport: transport))
                XCTAssertEqual(connack.reasonCode, .success, "\(transport) \(version)")
                XCTAssertFalse(harness.isClosed(id))
            }
        }
    }

    func testStandardRequiresTLSIsOffTheServerOpensPlainListeners() async throws {
        let server = try await startServer(self, profile: try shippedProfile("standard"), listeners: [.tcp(), .webSocket()])
        XCTAssertEqual(server.listeners.map(\.transport), [.tcp, .webSocket])
        let client = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("plain"))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        await client.close(.graceful)
    }

    /// Anonymous: no certificate, any username and password.
    func testStandardAuthenticationIsAnonymous() throws {
        let harness = try harness()
        for version in bothVersions {
            let (_, bare) = harness.connect(ConnectPacket(clientIdentifier: "bare-\(version.rawValue)", keepAliveSeconds: 0),
                                            version: version)
            XCTAssertEqual(bare.reasonCode, .success)
            let (_, named) = harness.connect(
                ConnectPacket(clientIdentifier: "named-\(version.rawValue)", keepAliveSeconds: 0, username: "anyone",
                              password: ByteBuffer(string: "anything")),
                version: version)
            XCTAssertEqual(named.reasonCode, .success)
        }
    }

    func testStandardMaximumQoSIs2() throws {
        let harness = try harness()
        for version in bothVersions {
            let v = version.rawValue
            let (subscriber, connack) = harness.connect(ConnectPacket(clientIdentifier: "sub-\(v)", keepAliveSeconds: 0),
                                                        version: version)
            XCTAssertNil(connack.properties.maximumQoS, "QoS 2 is the default: nothing to announce")
            XCTAssertEqual(harness.subscribe("q/\(v)/#", qos: .exactlyOnce, on: subscriber), [.grantedQoS2])
            let publisher = harness.connected("pub-\(v)", version: version)
            harness.publish("q/\(v)/two", "exactly once", qos: .exactlyOnce, id: 9, on: publisher)
            XCTAssertEqual(harness.take(publisher), [.pubrec(PublishAckPacket(packetIdentifier: 9))])
            harness.send(.pubrel(PublishAckPacket(packetIdentifier: 9)), on: publisher)
            XCTAssertEqual(harness.take(publisher), [.pubcomp(PublishAckPacket(packetIdentifier: 9))])
            let delivered = harness.publishes(subscriber)
            XCTAssertEqual(delivered.map(\.qos), [.exactlyOnce])
            XCTAssertEqual(delivered.map(\.payload.string), ["exactly once"])

            let will = Will(topic: "q/\(v)/will", payload: ByteBuffer(string: "gone"), qos: .exactlyOnce)
            let (_, withWill) = harness.connect(ConnectPacket(clientIdentifier: "will-\(v)", keepAliveSeconds: 0, will: will),
                                                version: version)
            XCTAssertEqual(withWill.reasonCode, .success, "a QoS 2 will is accepted")
        }
    }

    func testStandardRetainIsSupportedAndStored() throws {
        let harness = try harness()
        for version in bothVersions {
            let v = version.rawValue
            let (publisher, connack) = harness.connect(ConnectPacket(clientIdentifier: "pub-\(v)", keepAliveSeconds: 0),
                                                       version: version)
            XCTAssertNil(connack.properties.retainAvailable, "retain is available: nothing to announce")
            harness.publish("state/\(v)", "kept", qos: .atLeastOnce, retain: true, on: publisher)
            XCTAssertEqual(harness.take(publisher).pubackCodes, [.success])
            assertAlive(harness, publisher)

            let later = harness.connected("later-\(v)", version: version)
            harness.subscribe("state/\(v)", qos: .atLeastOnce, on: later)
            let retained = harness.publishes(later)
            XCTAssertEqual(retained.map(\.payload.string), ["kept"])
            XCTAssertEqual(retained.map(\.retain), [true])
        }
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 2)
    }

    func testStandardMaximumKeepAliveIsNone() throws {
        let harness = try harness()
        for version in bothVersions {
            let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "slow-\(version.rawValue)", keepAliveSeconds: 65535),
                                                version: version)
            XCTAssertEqual(connack.reasonCode, .success, "\(version): any keep-alive up to 65535 s")
            XCTAssertNil(connack.properties.serverKeepAlive)
            harness.advance(.seconds(65535))
            XCTAssertFalse(harness.isClosed(id), "the client's own 65535 s is kept")
        }
    }

    func testStandardTopicAliasMaximumIs65535() throws {
        let harness = try harness()
        let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "alias", keepAliveSeconds: 0))
        XCTAssertEqual(connack.properties.topicAliasMaximum, 65535)
        harness.subscribe("a/#", qos: .atMostOnce, on: id)
        harness.publish("a/long/topic", "named", properties: [.topicAlias(65535)], on: id)
        harness.publish("", "aliased", properties: [.topicAlias(65535)], on: id)
        harness.publish("a/eleven", "eleven", properties: [.topicAlias(11)], on: id)
        XCTAssertEqual(harness.publishes(id).map(\.topic), ["a/long/topic", "a/long/topic", "a/eleven"])
        assertAlive(harness, id)
    }

    func testStandardMaximumPacketSizeIsNone() throws {
        let harness = try harness()
        for version in bothVersions {
            let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "big-\(version.rawValue)", keepAliveSeconds: 0),
                                                version: version)
            XCTAssertNil(connack.properties.maximumPacketSize)
            harness.subscribe("big/#", qos: .atLeastOnce, on: id)
            let packet = publishOfSize(2 << 20, topic: "big/\(version.rawValue)", packetID: 1, version: version)
            harness.send(.publish(packet), on: id)
            let answer = harness.take(id)
            XCTAssertEqual(answer.pubackCodes, [.success], "\(version): 2 MiB is accepted")
            XCTAssertEqual(answer.publishPackets.map(\.payload.readableBytes), [packet.payload.readableBytes])
        }
    }

    /// Receive Maximum 65535: every packet identifier can hold an unreleased QoS 2 PUBLISH at once.
    func testStandardReceiveMaximumIs65535() throws {
        let harness = try harness()
        let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "many", keepAliveSeconds: 0))
        XCTAssertEqual(connack.properties.receiveMaximum, 65535)
        var pubrecs = 0
        for identifier in 1...UInt16.max {
            harness.publish("many", "", qos: .exactlyOnce, id: identifier, on: id)
            for case .pubrec(let ack) in harness.take(id) where ack.reasonCode == .success { pubrecs += 1 }
        }
        XCTAssertEqual(pubrecs, 65535)
        assertAlive(harness, id)
    }

    func testStandardMaximumSessionExpiryIsNone() throws {
        let harness = try harness()
        let (five, asked) = harness.connect(ConnectPacket(clientIdentifier: "five", keepAliveSeconds: 0,
                                                          properties: [.sessionExpiryInterval(7200)]))
        XCTAssertNil(asked.properties.sessionExpiryInterval, "7200 s is granted as asked")
        harness.disconnect(five)
        harness.advance(.seconds(7199))
        let (again, resumed) = harness.connect(ConnectPacket(clientIdentifier: "five", cleanStart: false, keepAliveSeconds: 0,
                                                             properties: [.sessionExpiryInterval(7200)]))
        XCTAssertTrue(resumed.sessionPresent)
        harness.disconnect(again)
        harness.advance(.seconds(7200))
        let (_, expired) = harness.connect(ConnectPacket(clientIdentifier: "five", cleanStart: false, keepAliveSeconds: 0))
        XCTAssertFalse(expired.sessionPresent)

        let three = harness.connected("three", version: .v3_1_1, cleanStart: false)
        harness.disconnect(three)
        harness.advance(.seconds(30 * 24 * 3600))
        let (_, kept) = harness.connect(ConnectPacket(clientIdentifier: "three", cleanStart: false, keepAliveSeconds: 0),
                                        version: .v3_1_1)
        XCTAssertTrue(kept.sessionPresent, "a 3.1.1 persistent session does not expire")
    }

    /// MQTT 5.0 §3.1.4-3: the existing connection is closed, with DISCONNECT 0x8E in MQTT 5.
    func testStandardTakeoverReplacesTheOldConnection() throws {
        let harness = try harness()
        for version in bothVersions {
            let client = "dup-\(version.rawValue)"
            let old = harness.connected(client, version: version)
            let new = harness.connected(client, version: version)
            assertEndedByBroker(harness, old, version: version, reason: .sessionTakenOver)
            assertAlive(harness, new)
        }
    }

    func testStandardSharedSubscriptionsAreOffered() throws {
        let harness = try harness()
        let (first, connack) = harness.connect(ConnectPacket(clientIdentifier: "worker-1", keepAliveSeconds: 0))
        XCTAssertEqual(connack.properties.sharedSubscriptionAvailable, true)
        let second = harness.connected("worker-2")
        XCTAssertEqual(harness.subscribe("$share/pool/jobs/#", on: first), [.grantedQoS1])
        XCTAssertEqual(harness.subscribe("$share/pool/jobs/#", on: second), [.grantedQoS1])
        let three = harness.connected("worker-3", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("$share/pool/jobs/#", on: three), [.grantedQoS1])
        let publisher = harness.connected("boss")
        for index in 0..<9 { harness.publish("jobs/\(index)", "\(index)", on: publisher) }
        let shares = [first, second, three].map { harness.publishes($0).map(\.payload.string) }
        XCTAssertEqual(shares.flatMap { $0 }.sorted(), (0..<9).map { "\($0)" }, "each job goes to exactly one worker")
        XCTAssertTrue(shares.allSatisfy { !$0.isEmpty }, "\(shares)")
    }

    func testStandardAuthorizationAllowsAll() throws {
        let harness = try harness()
        for version in bothVersions {
            let v = version.rawValue
            let will = Will(topic: "any/where/\(v)", payload: ByteBuffer(string: "w"), qos: .atLeastOnce)
            let (id, connack) = harness.connect(ConnectPacket(clientIdentifier: "free-\(v)", keepAliveSeconds: 0, will: will),
                                                version: version)
            XCTAssertEqual(connack.reasonCode, .success)
            XCTAssertEqual(harness.subscribe("#", qos: .atLeastOnce, on: id), [.grantedQoS1])
            let answer = harness.publishQoS1("devices/someone-else/\(v)", ByteBuffer(string: "hi"), on: id)
            XCTAssertEqual(answer.pubackCodes, [.success])
            XCTAssertEqual(answer.publishPackets.map(\.topic), ["devices/someone-else/\(v)"])
        }
    }

    /// The Event Grid limits that standard.yaml leaves at the specification's defaults: no message or
    /// connect rate, no lockout, and an offline queue that outlasts 101 messages.
    func testStandardHasNoRatesLockoutOrSmallOfflineQueue() throws {
        let harness = try harness()
        let busy = harness.connected("busy")
        for index in 0..<2000 { harness.publish("t", "\(index)", on: busy) }
        assertAlive(harness, busy)

        for _ in 0..<10 {
            let id = harness.connected("again")
            harness.disconnect(id)
        }
        for _ in 0..<10 {
            let (_, refused) = harness.connect(ConnectPacket(clientIdentifier: "failing", keepAliveSeconds: 0,
                                                             properties: [.authenticationMethod("SCRAM")]))
            XCTAssertEqual(refused.reasonCode, .badAuthenticationMethod)
        }
        _ = harness.connected("failing")

        let subscriber = harness.connected("sub", properties: [.sessionExpiryInterval(3600)])
        harness.subscribe("queued", qos: .atLeastOnce, on: subscriber)
        harness.disconnect(subscriber)
        for index in 0..<101 {
            harness.publish("queued", "\(index)", qos: .atLeastOnce, id: UInt16(index + 1), on: busy)
        }
        let (resumed, connack) = harness.connect(ConnectPacket(clientIdentifier: "sub", cleanStart: false, keepAliveSeconds: 0,
                                                               properties: [.sessionExpiryInterval(3600)]))
        XCTAssertTrue(connack.sessionPresent)
        XCTAssertEqual(harness.publishes(resumed).count, 101)
    }
}
