import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// The engine with an IoT Hub profile: service topics are answered to the asking device only, topic
/// rules are enforced, and operator messages reach one device through its own subscriptions.
final class EngineIoTHubTests: XCTestCase {
    private func hub() -> EngineHarness {
        var profile = BrokerProfile()
        profile.authentication = .iotHub
        profile.iotHub = IoTHubRules(hostName: "lab.azure-devices.net")
        return EngineHarness(profile: profile)
    }

    private func device(_ id: String, on harness: EngineHarness) -> ConnectionID {
        let (connection, connack) = harness.connect(
            ConnectPacket(clientIdentifier: id, username: "lab.azure-devices.net/\(id)/?api-version=2021-04-12"),
            version: .v3_1_1, facts: ConnectionFacts(transport: .tls, certificateCommonName: id))
        XCTAssertEqual(connack.reasonCode, .success)
        return connection
    }

    func testTwinGetIsAnsweredToTheAskingDeviceOnly() {
        let harness = hub()
        let asking = device("dev1", on: harness)
        let other = device("dev2", on: harness)
        XCTAssertEqual(harness.subscribe("$iothub/twin/res/#", qos: .atMostOnce, on: asking), [.grantedQoS0])
        harness.subscribe("$iothub/twin/res/#", qos: .atMostOnce, on: other)
        harness.publish("$iothub/twin/GET/?$rid=1", "", on: asking)
        let replies = harness.publishes(asking)
        XCTAssertEqual(replies.count, 1)
        XCTAssertTrue(replies.first?.topic.hasPrefix("$iothub/twin/res/200/") ?? false, "\(replies)")
        XCTAssertTrue(harness.publishes(other).isEmpty)
    }

    func testTopicRulesAreEnforced() {
        let harness = hub()
        let client = device("dev1", on: harness)
        XCTAssertEqual(harness.subscribe("devices/dev2/messages/devicebound/#", on: client), [.unspecifiedError])
        harness.publish("devices/dev2/messages/events/", "x", qos: .atLeastOnce, id: 1, on: client)
        XCTAssertTrue(harness.isClosed(client), "3.1.1: a publish the hub refuses closes the connection")
    }

    func testOperatorMessageGoesThroughTheDevicesSubscription() throws {
        let harness = hub()
        let client = device("dev1", on: harness)
        var actions: [BrokerAction] = []
        let message = try XCTUnwrap(try harness.engine.withIoTHub { endpoint in
            try endpoint.cloudToDevice(deviceID: "dev1", payload: ByteBuffer(string: "hello"))
        })
        XCTAssertFalse(harness.engine.deliverToDevice(message, now: harness.now, into: &actions), "not subscribed yet")
        XCTAssertEqual(harness.subscribe("devices/dev1/messages/devicebound/#", on: client), [.grantedQoS1])
        XCTAssertTrue(harness.engine.deliverToDevice(message, now: harness.now, into: &actions))
        guard case .send(client, .publish(let publish), _)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(publish.payload.string, "hello")
        XCTAssertEqual(publish.qos, .atLeastOnce)
    }
}
