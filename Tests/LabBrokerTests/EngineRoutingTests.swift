import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Routing: wildcards and `$` topics, overlapping subscriptions, shared subscriptions, No Local,
/// subscription identifiers, granted and delivered QoS.
final class EngineRoutingTests: XCTestCase {
    func testWildcardsMatchByLevel() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub")
        harness.subscribe([Subscription(filter: "devices/+/status"), Subscription(filter: "fleet/#")], on: subscriber)
        for topic in ["devices/a/status", "devices/a/b/status", "devices/status", "fleet", "fleet/x/y", "fleetwide",
                      "devices//status"] {
            harness.publish(topic, topic, on: publisher)
        }
        XCTAssertEqual(harness.publishes(subscriber).map(\.topic),
                       ["devices/a/status", "fleet", "fleet/x/y", "devices//status"])
    }

    func testDollarTopicsAreNotMatchedByLeadingWildcards() {
        let harness = EngineHarness()
        let everything = harness.connected("all")
        let system = harness.connected("sys")
        let publisher = harness.connected("pub")
        harness.subscribe([Subscription(filter: "#"), Subscription(filter: "+/info")], on: everything)
        harness.subscribe("$SYS/#", qos: .atMostOnce, on: system)
        harness.publish("$SYS/info", "x", on: publisher)
        harness.publish("plain/info", "y", on: publisher)
        XCTAssertEqual(harness.publishes(everything).map(\.topic), ["plain/info"], "one delivery for two matches")
        XCTAssertEqual(harness.publishes(system).map(\.topic), ["$SYS/info"])
    }

    func testOverlappingSubscriptionsGiveOneDeliveryAtTheHighestQoSWithEveryIdentifier() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub")
        harness.subscribe([Subscription(filter: "a/+", qos: .atMostOnce)], properties: [.subscriptionIdentifier(7)],
                          on: subscriber)
        harness.subscribe([Subscription(filter: "a/#", qos: .atLeastOnce)], properties: [.subscriptionIdentifier(9)],
                          packetID: 2, on: subscriber)
        harness.publish("a/b", "x", qos: .exactlyOnce, on: publisher)
        let delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.count, 1)
        XCTAssertEqual(delivered.first?.qos, .atLeastOnce, "min(message QoS 2, highest granted 1)")
        XCTAssertEqual(Set(delivered.first?.properties.subscriptionIdentifiers ?? []), [7, 9])
    }

    func testGrantedQoSIsCappedByTheProfileAndDeliveredQoSByTheGrant() {
        var profile = BrokerProfile()
        profile.maximumQoS = .atLeastOnce
        profile.qosAboveMaximum = .refuseMessage
        let harness = EngineHarness(profile: profile)
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub")
        XCTAssertEqual(harness.subscribe("t", qos: .exactlyOnce, on: subscriber), [.grantedQoS1])
        harness.publish("t", "one", qos: .atLeastOnce, on: publisher)
        XCTAssertEqual(harness.publishes(subscriber).first?.qos, .atLeastOnce)
        harness.publish("t", "two", qos: .exactlyOnce, id: 5, on: publisher)
        XCTAssertEqual(harness.take(publisher).last, .pubrec(PublishAckPacket(packetIdentifier: 5, reasonCode: .qosNotSupported)))
        XCTAssertTrue(harness.publishes(subscriber).isEmpty)

        let zero = harness.connected("zero")
        harness.subscribe("t", qos: .atMostOnce, on: zero)
        harness.publish("t", "three", qos: .atLeastOnce, id: 6, on: publisher)
        XCTAssertEqual(harness.publishes(zero).first?.qos, .atMostOnce)
    }

    func testQoSAboveMaximumDisconnectsUnderTheDefaultRule() {
        var profile = BrokerProfile()
        profile.maximumQoS = .atLeastOnce
        let harness = EngineHarness(profile: profile)
        let five = harness.connected("five")
        harness.publish("t", "x", qos: .exactlyOnce, on: five)
        XCTAssertEqual(harness.take(five).last?.disconnectReason, .qosNotSupported)
        XCTAssertTrue(harness.isClosed(five))
        let three = harness.connected("three", version: .v3_1_1)
        harness.publish("t", "x", qos: .exactlyOnce, on: three)
        XCTAssertTrue(harness.take(three).isEmpty)
        XCTAssertTrue(harness.isClosed(three))
    }

    func testNoLocal() {
        let harness = EngineHarness()
        let client = harness.connected("me")
        harness.subscribe([Subscription(filter: "echo", noLocal: true)], on: client)
        harness.subscribe([Subscription(filter: "loud")], packetID: 2, on: client)
        harness.publish("echo", "x", on: client)
        harness.publish("loud", "y", on: client)
        XCTAssertEqual(harness.publishes(client).map(\.topic), ["loud"])
    }

    func testSharedSubscriptionRoundRobin() {
        let harness = EngineHarness()
        let first = harness.connected("w1")
        let second = harness.connected("w2")
        let watcher = harness.connected("watch")
        let publisher = harness.connected("pub")
        XCTAssertEqual(harness.subscribe("$share/workers/jobs/+", qos: .atMostOnce, on: first), [.grantedQoS0])
        harness.subscribe("$share/workers/jobs/+", qos: .atMostOnce, on: second)
        harness.subscribe("jobs/#", qos: .atMostOnce, on: watcher)
        for index in 0..<6 { harness.publish("jobs/\(index)", "\(index)", on: publisher) }
        let toFirst = harness.publishes(first).map(\.payload.string)
        let toSecond = harness.publishes(second).map(\.payload.string)
        XCTAssertEqual(toFirst.count, 3)
        XCTAssertEqual(toSecond.count, 3)
        XCTAssertEqual(Set(toFirst + toSecond).count, 6, "each message to exactly one member")
        XCTAssertEqual(harness.publishes(watcher).count, 6, "ordinary subscribers still get every message")
    }

    func testSharedSubscriptionsRefusedWhenTheProfileHasNone() {
        var profile = BrokerProfile()
        profile.sharedSubscriptions = false
        let harness = EngineHarness(profile: profile)
        let five = harness.connected("five")
        XCTAssertEqual(harness.subscribe("$share/g/t", on: five), [.sharedSubscriptionsNotSupported])
        let three = harness.connected("three", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("$share/g/t", on: three), [.unspecifiedError])
    }

    func testNoLocalOnASharedSubscriptionIsAProtocolError() {
        let harness = EngineHarness()
        let client = harness.connected("c")
        harness.send(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [
            Subscription(filter: "$share/g/t", noLocal: true),
        ])), on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .protocolError)
    }

    func testUnsubscribe() {
        let harness = EngineHarness()
        let client = harness.connected("c")
        let publisher = harness.connected("p")
        harness.subscribe("a", on: client)
        harness.send(.unsubscribe(UnsubscribePacket(packetIdentifier: 3, filters: ["a", "never"])), on: client)
        XCTAssertEqual(harness.take(client),
                       [.unsuback(UnsubAckPacket(packetIdentifier: 3, reasonCodes: [.success, .noSubscriptionExisted]))])
        harness.publish("a", "x", on: publisher)
        XCTAssertTrue(harness.publishes(client).isEmpty)
        XCTAssertEqual(harness.engine.statistics.subscriptions, 0)

        let old = harness.connected("old", version: .v3_1_1)
        harness.subscribe("a", on: old)
        harness.send(.unsubscribe(UnsubscribePacket(packetIdentifier: 4, filters: ["a"])), on: old)
        XCTAssertEqual(harness.take(old), [.unsuback(UnsubAckPacket(packetIdentifier: 4))])
    }

    func testTooDeepFilterIsRefused() {
        let harness = EngineHarness()
        let five = harness.connected("five")
        let deep = Array(repeating: "x", count: SubscriptionIndex.maximumFilterLevels + 1).joined(separator: "/")
        XCTAssertEqual(harness.subscribe(deep, on: five), [.topicFilterInvalid])
        let three = harness.connected("three", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe(deep, on: three), [.unspecifiedError])
    }

    func testDeepTopicsDoNotHurt() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub")
        harness.subscribe([Subscription(filter: "#")], on: subscriber)
        let deep = Array(repeating: "a", count: 20_000).joined(separator: "/")
        harness.publish(deep, "x", retain: true, on: publisher)
        XCTAssertEqual(harness.publishes(subscriber).count, 1)
        let late = harness.connected("late")
        harness.subscribe([Subscription(filter: "#")], on: late)
        XCTAssertEqual(harness.publishes(late).count, 1)
    }

    func testPublishFromServer() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        harness.subscribe("ops/#", on: subscriber)
        var actions: [BrokerAction] = []
        harness.engine.publishFromServer(PublishPacket(topic: "ops/notice", payload: ByteBuffer(string: "hi"),
                                                       qos: .atLeastOnce),
                                         now: harness.now, into: &actions)
        guard case .send(let id, .publish(let publish), _)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(id, subscriber)
        XCTAssertEqual(publish.payload.string, "hi")
        XCTAssertEqual(publish.qos, .atLeastOnce)
    }
}
