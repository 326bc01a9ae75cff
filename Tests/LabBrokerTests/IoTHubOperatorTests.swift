import Foundation
import LabBroker
import MQTTCore
import NIOCore
import XCTest

/// The service side: desired property patches, direct methods and their completions.
final class IoTHubOperatorTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(5_000_000_000)

    private func respond(_ endpoint: inout IoTHubDeviceEndpoint, rid: String, status: Int = 200, body: String = "",
                         from deviceID: String = "d1", at now: NIODeadline) {
        let topic = "$iothub/methods/res/\(status)/?$rid=\(rid)"
        XCTAssertTrue(endpoint.allowsPublish(topic: topic, deviceID: deviceID))
        XCTAssertEqual(endpoint.serve(PublishPacket(topic: topic, payload: ByteBuffer(string: body)), from: deviceID, now: now), [])
    }

    private func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    // MARK: Desired properties

    func testDesiredPatchMessageCarriesThePatchAndTheNewVersion() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let first = try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"telemetrySendFrequency":"5m","route":{"a":1}}"#))
        XCTAssertEqual(first.deviceID, "d1")
        XCTAssertEqual(first.packet.topic, "$iothub/twin/PATCH/properties/desired/?$version=2")
        XCTAssertEqual(first.packet.qos, .atLeastOnce)
        XCTAssertTrue(TopicRules.matches(filter: "$iothub/twin/PATCH/properties/desired/#", topic: first.packet.topic))
        XCTAssertEqual(String(buffer: first.packet.payload), #"{"$version":2,"route":{"a":1},"telemetrySendFrequency":"5m"}"#)

        let second = try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"route":null}"#))
        XCTAssertEqual(second.packet.topic, "$iothub/twin/PATCH/properties/desired/?$version=3")
        let body = try json(second.packet.payload)
        XCTAssertTrue(body["route"] is NSNull, "the device needs the null to delete")
        XCTAssertEqual(body["$version"] as? Int, 3)

        XCTAssertEqual(endpoint.twin(of: "d1").desired, ["telemetrySendFrequency": .string("5m")])
        XCTAssertEqual(endpoint.twin(of: "d1").desiredVersion, 3)
        XCTAssertEqual(endpoint.twin(of: "d1").reportedVersion, 1)
    }

    func testDeviceGetsDesiredPropertiesAfterAPatch() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"fan":true}"#))
        let replies = try XCTUnwrap(endpoint.serve(PublishPacket(topic: "$iothub/twin/GET/?$rid=1", payload: ByteBuffer()), from: "d1", now: start))
        XCTAssertEqual(replies.map { String(buffer: $0.payload) }, [#"{"desired":{"$version":2,"fan":true},"reported":{"$version":1}}"#])
    }

    func testInvalidDesiredPatchIsRefusedAndChangesNothing() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        XCTAssertThrowsError(try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: "[1]"))) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .invalidPatch(.notAnObject))
        }
        XCTAssertThrowsError(try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: "{"))) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .invalidPatch(.malformedJSON))
        }
        XCTAssertThrowsError(try endpoint.desiredPropertiesPatch(deviceID: "d1", patch: ByteBuffer(string: #"{"$v":1}"#))) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .invalidPatch(.invalidKey("$v")))
        }
        XCTAssertThrowsError(try endpoint.desiredPropertiesPatch(deviceID: "d/1", patch: ByteBuffer(string: "{}"))) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .invalidDeviceID("d/1"))
        }
        XCTAssertEqual(endpoint.twin(of: "d1"), DeviceTwin())
        XCTAssertEqual(endpoint.twinCount, 0)
    }

    // MARK: Direct methods

    func testDirectMethodRequestTopicAndFreshRequestIDs() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let first = try endpoint.directMethod(deviceID: "d1", name: "reboot", payload: ByteBuffer(string: #"{"delay":5}"#), now: start)
        XCTAssertEqual(first.message.deviceID, "d1")
        XCTAssertEqual(first.message.packet.topic, "$iothub/methods/POST/reboot/?$rid=\(first.requestID)")
        XCTAssertEqual(first.message.packet.payload, ByteBuffer(string: #"{"delay":5}"#))
        XCTAssertTrue(TopicRules.matches(filter: "$iothub/methods/POST/#", topic: first.message.packet.topic))
        let second = try endpoint.directMethod(deviceID: "d1", name: "reboot", now: start)
        XCTAssertNotEqual(first.requestID, second.requestID)
        XCTAssertEqual(endpoint.pendingMethodCount, 2)
        XCTAssertEqual(endpoint.nextMethodDeadline, start + .seconds(30), "IoT Hub's default timeout")
    }

    func testResponseCompletesTheCallWithTheSameRequestID() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let reboot = try endpoint.directMethod(deviceID: "d1", name: "reboot", now: start)
        let blink = try endpoint.directMethod(deviceID: "d1", name: "blink", now: start + .milliseconds(10))
        respond(&endpoint, rid: blink.requestID, status: 201, body: #"{"ok":true}"#, at: start + .milliseconds(260))

        XCTAssertEqual(endpoint.pendingMethodCount, 1)
        let completions = endpoint.takeCompletedMethods(now: start + .milliseconds(300))
        XCTAssertEqual(completions.count, 1)
        let completion = try XCTUnwrap(completions.first)
        XCTAssertEqual(completion.requestID, blink.requestID)
        XCTAssertEqual(completion.deviceID, "d1")
        XCTAssertEqual(completion.methodName, "blink")
        XCTAssertEqual(completion.outcome, .responded(status: 201, payload: ByteBuffer(string: #"{"ok":true}"#)))
        XCTAssertEqual(completion.roundTrip, .milliseconds(250))
        XCTAssertEqual(endpoint.takeCompletedMethods(now: start + .milliseconds(300)), [], "taken once")

        respond(&endpoint, rid: reboot.requestID, at: start + .seconds(1))
        XCTAssertEqual(endpoint.methodResponses.map(\.outcome), [.responded(status: 200, payload: ByteBuffer())])
        XCTAssertEqual(endpoint.pendingMethodCount, 0)
    }

    func testUnknownForeignAndRepeatedResponsesAreIgnored() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let call = try endpoint.directMethod(deviceID: "d1", name: "reboot", now: start)
        respond(&endpoint, rid: "999", at: start)
        respond(&endpoint, rid: "0" + call.requestID, at: start)  // same number, different rid
        respond(&endpoint, rid: call.requestID, from: "d2", at: start)  // another device cannot answer
        XCTAssertEqual(endpoint.methodResponses, [])
        XCTAssertEqual(endpoint.pendingMethodCount, 1)
        XCTAssertEqual(endpoint.unmatchedMethodResponses, 3)

        respond(&endpoint, rid: call.requestID, at: start + .seconds(2))
        respond(&endpoint, rid: call.requestID, at: start + .seconds(3))
        XCTAssertEqual(endpoint.methodResponses.count, 1)
        XCTAssertEqual(endpoint.unmatchedMethodResponses, 4)
    }

    func testCallsTimeOutAtTheirDeadlineInDeadlineOrder() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let slow = try endpoint.directMethod(deviceID: "d1", name: "slow", timeout: .seconds(60), now: start)
        let fast = try endpoint.directMethod(deviceID: "d2", name: "fast", timeout: .seconds(10), now: start + .seconds(1))
        XCTAssertEqual(endpoint.takeCompletedMethods(now: start + .seconds(11) - .nanoseconds(1)), [])
        let first = endpoint.takeCompletedMethods(now: start + .seconds(11))
        XCTAssertEqual(first.map(\.requestID), [fast.requestID])
        XCTAssertEqual(first.first?.outcome, .timedOut)
        XCTAssertEqual(first.first?.roundTrip, .seconds(10))
        XCTAssertEqual(endpoint.nextMethodDeadline, start + .seconds(60))

        // Noticed late, the timeout still reads as the deadline; a response after it matches nothing.
        respond(&endpoint, rid: slow.requestID, at: start + .seconds(90))
        let second = endpoint.takeCompletedMethods(now: start + .seconds(90))
        XCTAssertEqual(second.map(\.outcome), [.timedOut])
        XCTAssertEqual(second.first?.completedAt, start + .seconds(60))
        XCTAssertEqual(endpoint.unmatchedMethodResponses, 1)
        XCTAssertNil(endpoint.nextMethodDeadline)
    }

    func testTimeoutIsClampedToTheDocumentedRange() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try endpoint.directMethod(deviceID: "d1", name: "short", timeout: .seconds(1), now: start)
        XCTAssertEqual(endpoint.nextMethodDeadline, start + .seconds(5))
        endpoint.expireMethods(now: start + .seconds(5))
        _ = try endpoint.directMethod(deviceID: "d1", name: "long", timeout: .seconds(1_000), now: start + .seconds(5))
        XCTAssertEqual(endpoint.nextMethodDeadline, start + .seconds(305))
    }

    func testPendingCallsAndCompletionsAreBounded() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(pendingMethods: 2, completedMethods: 2))
        let a = try endpoint.directMethod(deviceID: "d1", name: "m", now: start)
        let b = try endpoint.directMethod(deviceID: "d1", name: "m", now: start)
        XCTAssertThrowsError(try endpoint.directMethod(deviceID: "d1", name: "m", now: start)) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .tooManyPendingMethods)
        }
        respond(&endpoint, rid: a.requestID, at: start)
        let c = try endpoint.directMethod(deviceID: "d1", name: "m", now: start)
        respond(&endpoint, rid: b.requestID, at: start)
        respond(&endpoint, rid: c.requestID, at: start)
        XCTAssertEqual(endpoint.methodResponses.map(\.requestID), [b.requestID, c.requestID])
        XCTAssertEqual(endpoint.droppedMethodCompletions, 1)
    }

    func testManyAnsweredCallsLeaveNothingPending() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(completedMethods: 1))
        for step in 0..<10_000 {
            let now = start + .milliseconds(Int64(step))
            let call = try endpoint.directMethod(deviceID: "d1", name: "m", now: now)
            respond(&endpoint, rid: call.requestID, at: now)
        }
        XCTAssertEqual(endpoint.pendingMethodCount, 0)
        XCTAssertNil(endpoint.nextMethodDeadline)
        XCTAssertEqual(endpoint.droppedMethodCompletions, 9_999)
    }

    func testMalformedResponseBodyIsRecordedAsSuch() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let call = try endpoint.directMethod(deviceID: "d1", name: "m", now: start)
        respond(&endpoint, rid: call.requestID, status: 500, body: "not json", at: start)
        XCTAssertEqual(endpoint.methodResponses.map(\.outcome), [.malformedResponse(status: 500)])
    }

    func testRequestsTheHubWouldRefuse() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(methodPayloadBytes: 8))
        let tooLong = String(repeating: "m", count: IoTHubTopics.maximumMethodNameBytes + 1)
        for name in ["", "a/b", "a b", "a?b", "a+b", "a#b", "$x", "é", tooLong] {
            XCTAssertThrowsError(try endpoint.directMethod(deviceID: "d1", name: name, now: start), name) {
                XCTAssertEqual($0 as? IoTHubOperatorError, .invalidMethodName(name))
            }
        }
        XCTAssertThrowsError(try endpoint.directMethod(deviceID: "d1", name: "m", payload: ByteBuffer(string: "{oops"), now: start)) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .methodPayloadNotJSON)
        }
        XCTAssertThrowsError(try endpoint.directMethod(deviceID: "d1", name: "m", payload: ByteBuffer(string: #""123456789""#), now: start)) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .payloadTooLarge(bytes: 11, limit: 8))
        }
        XCTAssertNoThrow(try endpoint.directMethod(deviceID: "d1", name: "m", payload: ByteBuffer(string: "42"), now: start))
        XCTAssertEqual(endpoint.pendingMethodCount, 1)
    }
}
