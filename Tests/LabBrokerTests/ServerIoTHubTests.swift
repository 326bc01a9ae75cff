import Foundation
import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The operator's side of the IoT Hub endpoint on the real server (127.0.0.1, port 0) with the project's
/// `MQTTClient` as the device: a cloud-to-device message, a desired patch and a direct method reach the
/// device through its own subscriptions, the device's answer completes the call, and a device that is
/// absent or not subscribed does not get the message.
///
/// The profile is the shipped `iothub` one on plain TCP with anonymous authentication, so the test needs
/// no certificates: what is under test is the service side, which authentication does not change (the
/// device ID is the client ID either way).
final class ServerIoTHubTests: XCTestCase {
    private func hubServer() async throws -> LabBrokerServer {
        var profile = try ProfileLoader.builtIn(named: "iothub")
        profile.requiresTLS = false
        profile.authentication = .anonymous
        return try await startServer(self, profile: profile)
    }

    private func device(_ id: String, on server: LabBrokerServer, subscribe filters: [String])
        async throws -> (MQTTClient, TestInbox<PublishPacket>)
    {
        let client = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration(id, version: .v3_1_1))
        addTeardownBlock { await client.close(.graceful) }
        let messages = inbox(of: client)
        if !filters.isEmpty {
            let granted = try await client.subscribe(filters.map { Subscription(filter: $0, qos: .atLeastOnce) })
            XCTAssertEqual(granted.count, filters.count, "\(granted)")
        }
        return (client, messages)
    }

    func testCloudToDeviceMessageReachesOnlyItsSubscribedDevice() async throws {
        let server = try await hubServer()
        let (_, d1) = try await device("d1", on: server, subscribe: ["devices/d1/messages/devicebound/#"])
        let (_, d2) = try await device("d2", on: server, subscribe: ["$iothub/methods/POST/#"])

        let delivery = try await server.iotHub(.cloudToDevice(
            deviceID: "d1", payload: ByteBuffer(string: "reboot d1"), properties: ["kind": "cmd"]))
        XCTAssertEqual(delivery, IoTHubDelivery(deviceID: "d1", topic: "devices/d1/messages/devicebound/kind=cmd", delivered: true))
        let received = await d1.messages(on: delivery.topic)
        XCTAssertEqual(received.map { String(buffer: $0.payload) }, ["reboot d1"])

        let unsubscribed = try await server.iotHub(.cloudToDevice(deviceID: "d2", payload: ByteBuffer(string: "x")))
        XCTAssertFalse(unsubscribed.delivered, "d2 holds no devicebound subscription")
        let absent = try await server.iotHub(.cloudToDevice(deviceID: "d3", payload: ByteBuffer(string: "x")))
        XCTAssertFalse(absent.delivered, "no session for d3")

        // Anything d2 got by mistake would come before a message it does get, on the same connection.
        let marker = try await server.iotHub(.directMethod(deviceID: "d2", name: "marker"))
        XCTAssertTrue(marker.delivered)
        let d2Received = await d2.wait { $0.contains { $0.topic == marker.topic } }
        XCTAssertEqual(d2Received.map(\.topic), [marker.topic])
    }

    func testDesiredPatchCarriesTheNewVersion() async throws {
        let server = try await hubServer()
        let (_, messages) = try await device("d1", on: server, subscribe: ["$iothub/twin/PATCH/properties/desired/#"])
        let delivery = try await server.iotHub(.desiredPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"interval":5}"#)))
        XCTAssertTrue(delivery.delivered)
        XCTAssertEqual(delivery.topic, "$iothub/twin/PATCH/properties/desired/?$version=2")
        let received = await messages.messages(on: delivery.topic)
        XCTAssertEqual(received.map { String(buffer: $0.payload) }, [#"{"$version":2,"interval":5}"#])

        // Offline, the notification is dropped but the twin still changes: the next one has the next version.
        let offline = try await server.iotHub(.desiredPatch(deviceID: "d9", patch: ByteBuffer(string: #"{"a":1}"#)))
        XCTAssertFalse(offline.delivered)
        XCTAssertEqual(offline.topic, "$iothub/twin/PATCH/properties/desired/?$version=2")
    }

    func testDirectMethodRoundTripCompletesWithTheDevicesStatus() async throws {
        let server = try await hubServer()
        let (client, messages) = try await device("d1", on: server, subscribe: ["$iothub/methods/POST/#"])

        let call = try await server.iotHub(.directMethod(
            deviceID: "d1", name: "reboot", payload: ByteBuffer(string: #"{"delay":1}"#), timeout: .seconds(10)))
        let requestID = try XCTUnwrap(call.requestID)
        XCTAssertTrue(call.delivered)
        XCTAssertEqual(call.topic, "$iothub/methods/POST/reboot/?$rid=\(requestID)")
        let request = await messages.messages(on: call.topic)
        XCTAssertEqual(request.map { String(buffer: $0.payload) }, [#"{"delay":1}"#])
        let pendingBeforeTheAnswer = await server.methodCompletions()
        XCTAssertEqual(pendingBeforeTheAnswer, [], "nothing ended yet")

        // The PUBACK comes after the engine handled the response, so the completion is there once it returns.
        let ack = try await client.publish(MQTTMessage(
            topic: "$iothub/methods/res/200/?$rid=\(requestID)", payload: ByteBuffer(string: #"{"rebooted":true}"#),
            qos: .atLeastOnce))
        XCTAssertEqual(ack, .success)
        let completions = await server.methodCompletions()
        XCTAssertEqual(completions.count, 1)
        let completion = try XCTUnwrap(completions.first)
        XCTAssertEqual(completion.requestID, requestID)
        XCTAssertEqual(completion.deviceID, "d1")
        XCTAssertEqual(completion.methodName, "reboot")
        XCTAssertEqual(completion.outcome, .responded(status: 200, payload: ByteBuffer(string: #"{"rebooted":true}"#)))
        XCTAssertGreaterThan(completion.roundTrip, .zero)
        let takenAlready = await server.methodCompletions()
        XCTAssertEqual(takenAlready, [], "completions are handed over once")
    }

    func testUndeliveredMethodCallIsStillPendingAndARefusalSaysWhy() async throws {
        let server = try await hubServer()
        let absent = try await server.iotHub(.directMethod(deviceID: "nobody", name: "reboot"))
        XCTAssertFalse(absent.delivered)
        XCTAssertNotNil(absent.requestID, "the call waits for its timeout, as on IoT Hub")
        do {
            _ = try await server.iotHub(.directMethod(deviceID: "d1", name: "re/boot"))
            XCTFail("a method name with a slash was sent")
        } catch {
            XCTAssertEqual(error, .refused(.invalidMethodName("re/boot")))
        }
        do {
            _ = try await server.iotHub(.desiredPatch(deviceID: "d1", patch: ByteBuffer(string: "[1]")))
            XCTFail("a patch that is not an object was sent")
        } catch {
            XCTAssertEqual(error, .refused(.invalidPatch(.notAnObject)))
        }
    }

    func testABatchIsSentInOrderWithOneResultEach() async throws {
        let server = try await hubServer()
        let (_, messages) = try await device("d1", on: server, subscribe: ["devices/d1/messages/devicebound/#"])
        let results = await server.iotHub([
            .cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "one")),
            .directMethod(deviceID: "d1", name: "bad/name"),
            .cloudToDevice(deviceID: "d2", payload: ByteBuffer(string: "elsewhere")),
            .cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "two")),
        ])
        XCTAssertEqual(results.count, 4)
        XCTAssertEqual(try results[0].get().delivered, true)
        XCTAssertEqual(results[1], .failure(.refused(.invalidMethodName("bad/name"))))
        XCTAssertEqual(try results[2].get().delivered, false)
        XCTAssertEqual(try results[3].get().delivered, true)
        let received = await messages.messages(on: "devices/d1/messages/devicebound/", count: 2)
        XCTAssertEqual(received.map { String(buffer: $0.payload) }, ["one", "two"])
    }

    func testAServerWithoutIoTHubRefusesClearly() async throws {
        let server = try await startServer(self)
        do {
            _ = try await server.iotHub(.cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "x")))
            XCTFail("the standard profile sent an IoT Hub message")
        } catch {
            XCTAssertEqual(error, .notIoTHub(profile: "standard"))
            XCTAssertTrue(error.description.contains("use the iothub profile"), error.description)
        }
        let completions = await server.methodCompletions()
        XCTAssertEqual(completions, [])
    }

    func testARequestAfterShutdownIsRefused() async throws {
        let server = try await hubServer()
        try await server.shutdown()
        do {
            _ = try await server.iotHub(.cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "x")))
            XCTFail("sent after shutdown")
        } catch {
            XCTAssertEqual(error, .shutDown)
        }
    }
}
