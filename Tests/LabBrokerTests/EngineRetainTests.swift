import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Retained messages: set, replace, delete, Retain Handling, Retain As Published, expiry, and the
/// profile's retain rules.
final class EngineRetainTests: XCTestCase {
    func testRetainedSetReplaceDelete() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        harness.publish("status/a", "one", retain: true, on: publisher)
        harness.publish("status/a", "two", retain: true, on: publisher)
        harness.publish("status/b", "bee", qos: .atLeastOnce, retain: true, on: publisher)
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 2)
        let first = harness.connected("first")
        harness.subscribe("status/+", qos: .atLeastOnce, on: first)
        let retained = harness.publishes(first)
        XCTAssertEqual(Set(retained.map(\.payload.string)), ["two", "bee"], "replaced, not added")
        XCTAssertTrue(retained.allSatisfy(\.retain), "sent because retained: RETAIN set")

        harness.publish("status/a", "", retain: true, on: publisher)
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 1)
        XCTAssertEqual(harness.publishes(first).map(\.payload.string), [""], "the deletion is delivered as normal")
        let second = harness.connected("second")
        harness.subscribe("status/#", on: second)
        XCTAssertEqual(harness.publishes(second).map(\.payload.string), ["bee"])
    }

    func testRetainedDeliveredQoSIsCappedByTheSubscription() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        harness.publish("r", "x", qos: .exactlyOnce, retain: true, on: publisher)
        let low = harness.connected("low")
        harness.subscribe("r", qos: .atMostOnce, on: low)
        XCTAssertEqual(harness.publishes(low).map(\.qos), [.atMostOnce])
    }

    func testRetainedDollarTopicsNeedAnExplicitFirstLevel() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        harness.publish("$SYS/uptime", "1", retain: true, on: publisher)
        harness.publish("plain", "2", retain: true, on: publisher)
        let everything = harness.connected("all")
        harness.subscribe("#", on: everything)
        XCTAssertEqual(harness.publishes(everything).map(\.topic), ["plain"])
        let plus = harness.connected("plus")
        harness.subscribe("+/uptime", on: plus)
        XCTAssertTrue(harness.publishes(plus).isEmpty)
        let system = harness.connected("sys")
        harness.subscribe("$SYS/+", on: system)
        XCTAssertEqual(harness.publishes(system).map(\.topic), ["$SYS/uptime"])
    }

    func testRetainHandling() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        harness.publish("r", "x", retain: true, on: publisher)
        let client = harness.connected("c")
        harness.subscribe([Subscription(filter: "r", retainHandling: .sendOnSubscribe)], on: client)
        XCTAssertEqual(harness.publishes(client).count, 1)
        harness.subscribe([Subscription(filter: "r", retainHandling: .sendOnSubscribe)], packetID: 2, on: client)
        XCTAssertEqual(harness.publishes(client).count, 1, "0: on every SUBSCRIBE")
        harness.subscribe([Subscription(filter: "r", retainHandling: .sendOnSubscribeIfNew)], packetID: 3, on: client)
        XCTAssertTrue(harness.publishes(client).isEmpty, "1: not for an existing subscription")
        harness.subscribe([Subscription(filter: "r/#", retainHandling: .sendOnSubscribeIfNew)], packetID: 4, on: client)
        XCTAssertEqual(harness.publishes(client).count, 1, "1: for a new one")
        harness.subscribe([Subscription(filter: "+", retainHandling: .doNotSend)], packetID: 5, on: client)
        XCTAssertTrue(harness.publishes(client).isEmpty, "2: never")
        harness.subscribe("$share/g/r", on: client)
        XCTAssertTrue(harness.publishes(client).isEmpty, "not for a shared subscription")
    }

    func testRetainAsPublished() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        let keeps = harness.connected("keeps")
        let clears = harness.connected("clears")
        let three = harness.connected("three", version: .v3_1_1)
        harness.subscribe([Subscription(filter: "r", retainAsPublished: true)], on: keeps)
        harness.subscribe([Subscription(filter: "r")], on: clears)
        harness.subscribe("r", on: three)
        harness.publish("r", "x", retain: true, on: publisher)
        XCTAssertEqual(harness.publishes(keeps).map(\.retain), [true])
        XCTAssertEqual(harness.publishes(clears).map(\.retain), [false])
        XCTAssertEqual(harness.publishes(three).map(\.retain), [false], "3.1.1 §3.3.1.3: cleared on forwarding")
    }

    func testRetainedMessageExpiry() {
        let harness = EngineHarness()
        let publisher = harness.connected("pub")
        harness.publish("r", "short", retain: true, properties: [.messageExpiryInterval(5)], on: publisher)
        harness.publish("s", "long", retain: true, properties: [.messageExpiryInterval(60)], on: publisher)
        harness.advance(.seconds(10))
        let late = harness.connected("late")
        harness.subscribe("+", on: late)
        let delivered = harness.publishes(late)
        XCTAssertEqual(delivered.map(\.payload.string), ["long"])
        XCTAssertEqual(delivered.first?.properties.messageExpiryInterval, 50)
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 1, "the expired one is dropped")
    }

    func testRetainedStoreIsBounded() {
        let harness = EngineHarness(limits: BrokerEngineLimits(maximumRetainedMessages: 2))
        let publisher = harness.connected("pub")
        for topic in ["a", "b", "c"] { harness.publish(topic, topic, retain: true, on: publisher) }
        harness.publish("a", "a2", retain: true, on: publisher)
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 2)
        let late = harness.connected("late")
        harness.subscribe("+", on: late)
        XCTAssertEqual(Set(harness.publishes(late).map(\.payload.string)), ["a2", "b"], "replacing still works")
    }

    func testRetainRefused() {
        var profile = BrokerProfile()
        profile.retain = .refused(.refuseMessage)
        let harness = EngineHarness(profile: profile)
        let five = harness.connected("five")
        harness.publish("r", "x", qos: .atLeastOnce, retain: true, id: 1, on: five)
        XCTAssertEqual(harness.take(five), [.puback(PublishAckPacket(packetIdentifier: 1, reasonCode: .retainNotSupported))])
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 0)
        let three = harness.connected("three", version: .v3_1_1)
        harness.publish("r", "x", retain: true, on: three)
        XCTAssertTrue(harness.isClosed(three))

        profile.retain = .refused(.disconnect)
        let strict = EngineHarness(profile: profile)
        let client = strict.connected("c")
        strict.publish("r", "x", retain: true, on: client)
        XCTAssertEqual(strict.take(client).last?.disconnectReason, .retainNotSupported)
        let (_, willRefused) = strict.connect(ConnectPacket(clientIdentifier: "w", will: Will(
            topic: "w", payload: ByteBuffer(string: "x"), retain: true)))
        XCTAssertEqual(willRefused.reasonCode, .retainNotSupported)
    }

    func testRetainNotPersisted() {
        var profile = BrokerProfile()
        profile.retain = .notPersisted
        let harness = EngineHarness(profile: profile)
        let subscriber = harness.connected("sub")
        harness.subscribe([Subscription(filter: "r", retainAsPublished: true)], on: subscriber)
        let publisher = harness.connected("pub")
        harness.publish("r", "x", retain: true, on: publisher)
        XCTAssertEqual(harness.publishes(subscriber).map(\.retain), [false], "delivered with retain cleared")
        XCTAssertEqual(harness.engine.statistics.retainedMessages, 0)
    }
}
