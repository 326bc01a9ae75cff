import MQTTCore
import XCTest

@testable import LabBroker

/// The two answers to a SUBSCRIBE the client may not make: refused (Event Grid) or granted and silent
/// (mosquitto 2.0 with an ACL), in both protocol versions.
final class EngineUnauthorizedSubscribeTests: XCTestCase {
    private func profile(_ rule: UnauthorizedSubscribeRule) -> BrokerProfile {
        BrokerProfile(unauthorizedSubscribe: rule, authorization: [
            TopicPermission(topicTemplate: "devices/#", actions: [.publish, .subscribe]),
            TopicPermission(topicTemplate: "#", actions: [.publish], identity: "publisher"),
        ])
    }

    func testRefusedIsNotAuthorizedIn5AndFailureIn311() {
        let harness = EngineHarness(profile: profile(.refuse))
        let five = harness.connected("five", version: .v5_0)
        XCTAssertEqual(harness.subscribe("forbidden/#", on: five), [.notAuthorized])
        let old = harness.connected("old", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("forbidden/#", on: old), [.unspecifiedError])
    }

    func testGrantedSilentlyAcknowledgesTheQoSAndDeliversNothing() {
        let harness = EngineHarness(profile: profile(.grantSilently))
        let subscriber = harness.connected("subscriber", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("forbidden/#", qos: .atLeastOnce, on: subscriber), [.grantedQoS1])
        XCTAssertEqual(harness.subscribe([Subscription(filter: "devices/#", qos: .atMostOnce)], packetID: 2, on: subscriber), [.grantedQoS0])
        // The publisher may publish anywhere: only the subscription decides what arrives.
        let publisher = harness.connected("publisher")
        harness.publish("forbidden/x", "a", on: publisher)
        harness.publish("devices/x", "b", on: publisher)
        XCTAssertEqual(harness.publishes(subscriber).map(\.topic), ["devices/x"], "nothing arrives on the silent grant")
        XCTAssertEqual(harness.engine.statistics.subscriptions, 1, "the silent grant is not a subscription")
    }
}
