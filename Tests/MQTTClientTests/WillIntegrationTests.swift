import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The four endings as the broker sees them, observed through the Last Will: delivered after an
/// abrupt close and after silence, not after a graceful DISCONNECT; on 3.1.1 and 5.0.
final class WillIntegrationTests: XCTestCase {
    /// Connects a device with a will on `topic`, and a subscriber to that topic.
    private func deviceWithWill(
        _ version: MQTTProtocolVersion, endpoint: MQTTEndpoint = TestBroker.plain, topic: String,
        keepAlive: UInt16 = 60
    ) async throws -> (device: MQTTClient, observer: MQTTClient, collector: MQTTClientTests.MessageCollector) {
        let (observer, collector) = try await TestBroker.subscriber(topic)
        let will = Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let device = try await MQTTClient.connect(
            to: endpoint,
            configuration: TestBroker.configuration(version, TestBroker.uniqueID("dev"), keepAlive: keepAlive, will: will))
        return (device, observer, collector)
    }

    func testWillIsDeliveredAfterAbruptClose() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "devices/\(TestBroker.uniqueID("abrupt"))/status"
            let (device, observer, collector) = try await deviceWithWill(version, topic: topic)
            let reason = await device.close(.abrupt)
            XCTAssertEqual(reason, .ended(.abrupt))
            let wills = await collector.wait(on: topic, seconds: 5)
            XCTAssertEqual(wills.map(\.payload.text), ["offline"], "\(version)")
            await observer.close(.graceful)
        }
    }

    func testWillIsDeliveredAfterSilenceOnceKeepAliveExpires() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "devices/\(TestBroker.uniqueID("silent"))/status"
            let (device, observer, collector) = try await deviceWithWill(version, topic: topic, keepAlive: 1)
            let (reason, wills) = await TestBroker.endSilently(device, willTopic: topic, collector: collector)
            XCTAssertEqual(reason, .ended(.silent), "\(version)")
            XCTAssertEqual(wills.map(\.payload.text), ["offline"], "\(version)")
            await observer.close(.graceful)
        }
    }

    func testNoWillAfterGracefulDisconnect() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "devices/\(TestBroker.uniqueID("graceful"))/status"
            let (device, observer, collector) = try await deviceWithWill(version, topic: topic)
            let reason = await device.close(.graceful)
            XCTAssertEqual(reason, .ended(.graceful))
            let wills = await collector.wait(on: topic, seconds: 1.5)
            XCTAssertEqual(wills.count, 0, "\(version): will published after a graceful DISCONNECT")
            await observer.close(.graceful)
        }
    }

    func testWillIsDeliveredAfterGracefulDisconnectWithWill() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "devices/\(TestBroker.uniqueID("with-will"))/status"
            let (device, observer, collector) = try await deviceWithWill(version, topic: topic)
            let reason = await device.close(.gracefulWithWill)
            XCTAssertEqual(reason, .ended(.gracefulWithWill))
            let wills = await collector.wait(on: topic, seconds: 5)
            XCTAssertEqual(wills.map(\.payload.text), ["offline"], "\(version)")
            await observer.close(.graceful)
        }
    }

    func testWillPropertiesReachTheSubscriberOnMQTT5() async throws {
        let topic = "devices/\(TestBroker.uniqueID("props"))/status"
        let (observer, collector) = try await TestBroker.subscriber(topic)
        let will = Will(
            topic: topic, payload: ByteBuffer(string: "{\"online\":false}"), qos: .atLeastOnce,
            properties: [
                .payloadFormatIndicator(1), .messageExpiryInterval(300), .contentType("application/json"),
                .responseTopic("devices/reply"), .correlationData(ByteBuffer(string: "c-1")),
                .userProperty("reason", "power-loss"),
            ])
        let device = try await MQTTClient.connect(
            to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("dev"), will: will))
        await device.close(.abrupt)
        let wills = await collector.wait(on: topic, seconds: 5)
        let delivered = try XCTUnwrap(wills.first)
        XCTAssertEqual(delivered.properties.contentType, "application/json")
        XCTAssertEqual(delivered.properties.payloadFormatIndicator, 1)
        XCTAssertEqual(delivered.properties.responseTopic, "devices/reply")
        XCTAssertEqual(delivered.properties.correlationData.map { String(buffer: $0) }, "c-1")
        XCTAssertEqual(delivered.properties.userProperties.map(\.name), ["reason"])
        XCTAssertEqual(delivered.properties.userProperties.map(\.value), ["power-loss"])
        let expiry = try XCTUnwrap(delivered.properties.messageExpiryInterval)
        XCTAssertLessThanOrEqual(expiry, 300)
        await observer.close(.graceful)
    }

    /// mosquitto 2.0 accepts a CONNECT whose will topic the ACL denies and silently drops the will.
    /// The allowed-topic control on the same listener shows the test would see a will if one came.
    func testForbiddenWillIsAcceptedButNeverDelivered() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let forbidden = "forbidden/\(TestBroker.uniqueID("will"))/status"
            let (device, observer, collector) = try await deviceWithWill(version, endpoint: TestBroker.acl, topic: forbidden)
            XCTAssertEqual(device.connectResult.connAck.reasonCode, .success, "\(version)")
            await device.close(.abrupt)

            let allowed = "devices/\(TestBroker.uniqueID("will"))/status"
            let (control, controlObserver, controlCollector) = try await deviceWithWill(
                version, endpoint: TestBroker.acl, topic: allowed)
            await control.close(.abrupt)
            let controlWills = await controlCollector.wait(on: allowed, seconds: 5)
            XCTAssertEqual(controlWills.count, 1, "\(version): the allowed will did not arrive")

            let wills = await collector.wait(on: forbidden, seconds: 3)
            XCTAssertEqual(wills.count, 0, "\(version): a will on a denied topic was delivered")
            await observer.close(.graceful)
            await controlObserver.close(.graceful)
        }
    }
}
