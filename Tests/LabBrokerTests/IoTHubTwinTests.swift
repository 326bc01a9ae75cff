import Foundation
import LabBroker
import MQTTCore
import NIOCore
import XCTest

/// Twin GET and reported PATCH as a device sees them through `serve`.
final class IoTHubTwinTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private let device = "thermo-7"

    private func request(_ endpoint: inout IoTHubDeviceEndpoint, _ topic: String, _ body: String = "",
                         from deviceID: String? = nil, at now: NIODeadline? = nil) throws -> PublishPacket {
        let publish = PublishPacket(topic: topic, payload: ByteBuffer(string: body), qos: .atLeastOnce, packetIdentifier: 1)
        let deviceID = deviceID ?? device
        XCTAssertTrue(endpoint.allowsPublish(topic: topic, deviceID: deviceID), topic)
        let replies = try XCTUnwrap(endpoint.serve(publish, from: deviceID, now: now ?? start), topic)
        XCTAssertEqual(replies.count, 1, topic)
        return try XCTUnwrap(replies.first)
    }

    private func get(_ endpoint: inout IoTHubDeviceEndpoint, rid: String = "g", from deviceID: String? = nil) throws -> [String: Any] {
        let reply = try request(&endpoint, "$iothub/twin/GET/?$rid=\(rid)", from: deviceID)
        XCTAssertEqual(reply.topic, "$iothub/twin/res/200/?$rid=\(rid)")
        return try json(reply.payload)
    }

    private func patch(_ endpoint: inout IoTHubDeviceEndpoint, _ body: String, rid: String = "p", at now: NIODeadline? = nil) throws -> String {
        try request(&endpoint, "$iothub/twin/PATCH/properties/reported/?$rid=\(rid)", body, at: now).topic
    }

    private func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    func testFreshTwinHasEmptySectionsAtVersionOne() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let reply = try request(&endpoint, "$iothub/twin/GET/?$rid=1")
        XCTAssertEqual(reply.topic, "$iothub/twin/res/200/?$rid=1")
        XCTAssertEqual(reply.qos, .atLeastOnce)
        XCTAssertEqual(String(buffer: reply.payload), #"{"desired":{"$version":1},"reported":{"$version":1}}"#)
        XCTAssertTrue(TopicRules.matches(filter: "$iothub/twin/res/#", topic: reply.topic))
        XCTAssertEqual(endpoint.twinCount, 0, "a GET stores nothing")
    }

    func testReportedPatchIsAcknowledgedWithTheNewVersionAndShowsInGet() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        XCTAssertEqual(
            try patch(&endpoint, #"{"telemetrySendFrequency":"35m","batteryLevel":60}"#, rid: "1"),
            "$iothub/twin/res/204/?$rid=1&$version=2")
        XCTAssertEqual(try patch(&endpoint, #"{"batteryLevel":59.5}"#, rid: "2"), "$iothub/twin/res/204/?$rid=2&$version=3")
        let twin = try get(&endpoint)
        let reported = try XCTUnwrap(twin["reported"] as? [String: Any])
        XCTAssertEqual(reported["telemetrySendFrequency"] as? String, "35m")
        XCTAssertEqual(reported["batteryLevel"] as? Double, 59.5)
        XCTAssertEqual(reported["$version"] as? Int, 3)
        XCTAssertEqual((twin["desired"] as? [String: Any])?["$version"] as? Int, 1)
        XCTAssertEqual(endpoint.twin(of: device).reported, ["telemetrySendFrequency": .string("35m"), "batteryLevel": .number(59.5)])
    }

    func testIntegersStayIntegers() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try patch(&endpoint, #"{"count":60,"ok":true,"list":[1,"a",null]}"#)
        XCTAssertEqual(
            endpoint.twin(of: device).reported,
            ["count": .integer(60), "ok": .bool(true), "list": .array([.integer(1), .string("a"), .null])])
        XCTAssertTrue(String(buffer: endpoint.twin(of: device).document).contains(#""count":60,"#))
    }

    func testNullDeletesAndNestedObjectsMerge() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try patch(&endpoint, #"{"a":1,"b":2,"net":{"wifi":{"ssid":"lab","rssi":-60},"cell":"off"}}"#)
        _ = try patch(&endpoint, #"{"b":null,"absent":null,"net":{"wifi":{"rssi":-70,"ssid":null},"eth":"up"}}"#)
        XCTAssertEqual(
            endpoint.twin(of: device).reported,
            [
                "a": .integer(1),
                "net": .object(["wifi": .object(["rssi": .integer(-70)]), "cell": .string("off"), "eth": .string("up")]),
            ])
        _ = try patch(&endpoint, #"{"net":"replaced","fresh":{"x":null,"y":{"z":true}}}"#)
        XCTAssertEqual(
            endpoint.twin(of: device).reported,
            ["a": .integer(1), "net": .string("replaced"), "fresh": .object(["y": .object(["z": .bool(true)])])])
        XCTAssertEqual(endpoint.twin(of: device).reportedVersion, 4)
    }

    func testMalformedPatchesGet400AndChangeNothing() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try patch(&endpoint, #"{"kept":1}"#)
        // The patch object plus eleven nested objects: one level too deep.
        let deep = String(repeating: #"{"k":"#, count: 12) + "1" + String(repeating: "}", count: 12)
        for body in [
            "", "not json", #"{"a":1"#, "[1,2]", "42", #""text""#, "null", #"{"a":1} trailing"#,
            #"{"$version":5}"#, #"{"a.b":1}"#, #"{"a b":1}"#, #"{"":1}"#, #"{"tab\u0009":1}"#, #"{"n":{"$x":1}}"#,
            #"{"big":4503599627370496}"#, #"{"small":-4503599627370497}"#,
            "{\"s\":\"" + String(repeating: "x", count: 4097) + "\"}",
            "{\"" + String(repeating: "k", count: 1025) + "\":1}",
            deep,
        ] {
            XCTAssertEqual(try patch(&endpoint, body, rid: "bad"), "$iothub/twin/res/400/?$rid=bad", body)
        }
        XCTAssertEqual(endpoint.twin(of: device).reported, ["kept": .integer(1)])
        XCTAssertEqual(endpoint.twin(of: device).reportedVersion, 2)
    }

    func testDepthTenIsAllowed() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        // The twin guide's example: ten nested objects below the section.
        let ten = String(repeating: #"{"k":"#, count: 10) + #"{"property":"value"}"# + String(repeating: "}", count: 10)
        XCTAssertEqual(try patch(&endpoint, ten), "$iothub/twin/res/204/?$rid=p&$version=2")
        let tenArrays = String(repeating: "[", count: 10) + "1" + String(repeating: "]", count: 10)
        XCTAssertEqual(try patch(&endpoint, #"{"edge":\#(tenArrays)}"#), "$iothub/twin/res/204/?$rid=p&$version=3")
        XCTAssertEqual(try patch(&endpoint, #"{"edge":[\#(tenArrays)]}"#), "$iothub/twin/res/400/?$rid=p")
    }

    func testSizeCapAsTheTwinGuideCountsIt() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let value = String(repeating: "v", count: 4096)
        // Each member counts 2 (key) + 4096 (value): seven fit in 32 KB, the eighth does not.
        for index in 0..<7 {
            XCTAssertEqual(try patch(&endpoint, #"{"k\#(index)":"\#(value)"}"#), "$iothub/twin/res/204/?$rid=p&$version=\(index + 2)")
        }
        XCTAssertEqual(try patch(&endpoint, #"{"k7":"\#(value)"}"#), "$iothub/twin/res/400/?$rid=p")
        XCTAssertEqual(endpoint.twin(of: device).reported.count, 7)
        // Removing one makes room again, in the same patch.
        XCTAssertEqual(try patch(&endpoint, #"{"k0":null,"k7":"\#(value)"}"#), "$iothub/twin/res/204/?$rid=p&$version=9")
    }

    func testSizeRuleWeighsNumbersBooleansAndSkipsControlCharacters() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(twinSectionBytes: 20))
        _ = try patch(&endpoint, #"{"n":1,"b":true}"#)  // 1+8 + 1+4 = 14
        XCTAssertEqual(try patch(&endpoint, #"{"s":"abcde"}"#), "$iothub/twin/res/204/?$rid=p&$version=3")  // 20
        XCTAssertEqual(try patch(&endpoint, #"{"t":""}"#), "$iothub/twin/res/400/?$rid=p")  // 21
        XCTAssertEqual(try patch(&endpoint, #"{"s":"ab\n\n\n\n\u0085cde"}"#), "$iothub/twin/res/204/?$rid=p&$version=4")
        XCTAssertEqual(try patch(&endpoint, #"{"s":"é"}"#), "$iothub/twin/res/204/?$rid=p&$version=5")  // é is 2 bytes
    }

    func testTwinsArePerDevice() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        _ = try patch(&endpoint, #"{"mine":1}"#)
        let other = try get(&endpoint, from: "other-device")
        XCTAssertEqual(other["reported"] as? [String: Int], ["$version": 1])
        XCTAssertEqual(endpoint.twin(of: device).reported, ["mine": .integer(1)])
    }

    func testRequestsAboveTheRateGet429() throws {
        var endpoint = IoTHubDeviceEndpoint(
            rules: IoTHubRules(),
            limits: IoTHubLimits(twinReadsPerSecond: 2, twinUpdatesPerSecond: 1, throttleWindowSeconds: 1))
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=1", at: start).topic, "$iothub/twin/res/200/?$rid=1")
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=2", at: start).topic, "$iothub/twin/res/200/?$rid=2")
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=3", at: start).topic, "$iothub/twin/res/429/?$rid=3")
        // Half a second at 2/s earns one read back.
        let later = start + .milliseconds(500)
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=4", at: later).topic, "$iothub/twin/res/200/?$rid=4")
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=5", at: later).topic, "$iothub/twin/res/429/?$rid=5")

        XCTAssertEqual(try patch(&endpoint, #"{"a":1}"#, rid: "u1", at: start), "$iothub/twin/res/204/?$rid=u1&$version=2")
        XCTAssertEqual(try patch(&endpoint, #"{"a":2}"#, rid: "u2", at: later), "$iothub/twin/res/429/?$rid=u2")
        XCTAssertEqual(endpoint.twin(of: device).reported, ["a": .integer(1)], "a throttled patch is not applied")
        XCTAssertEqual(
            try patch(&endpoint, #"{"a":3}"#, rid: "u3", at: start + .seconds(1)), "$iothub/twin/res/204/?$rid=u3&$version=3")
    }

    func testDefaultThrottleAllowsAMinuteOfBurst() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        for index in 0..<(50 * 60) {
            XCTAssertEqual(try patch(&endpoint, #"{"i":\#(index)}"#, rid: "r"), "$iothub/twin/res/204/?$rid=r&$version=\(index + 2)")
        }
        XCTAssertEqual(try patch(&endpoint, #"{"i":-1}"#, rid: "r"), "$iothub/twin/res/429/?$rid=r")
    }

    func testTwinStoreIsBounded() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(twins: 1))
        _ = try patch(&endpoint, #"{"a":1}"#)
        let refused = try request(&endpoint, "$iothub/twin/PATCH/properties/reported/?$rid=x", #"{"a":1}"#, from: "second")
        XCTAssertEqual(refused.topic, "$iothub/twin/res/503/?$rid=x")
        XCTAssertEqual(try patch(&endpoint, #"{"a":2}"#), "$iothub/twin/res/204/?$rid=p&$version=3")
        XCTAssertEqual(endpoint.twinCount, 1)
    }

    func testTelemetryIsNotServedAndMethodResponsesGetNoReply() {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let telemetry = PublishPacket(topic: "devices/thermo-7/messages/events/a=1", payload: ByteBuffer(string: "{}"))
        XCTAssertNil(endpoint.serve(telemetry, from: device, now: start))
        let response = PublishPacket(topic: "$iothub/methods/res/200/?$rid=99", payload: ByteBuffer())
        XCTAssertEqual(endpoint.serve(response, from: device, now: start), [])
        XCTAssertEqual(endpoint.unmatchedMethodResponses, 1)
    }

    func testRequestIDIsEchoedVerbatim() throws {
        var endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        XCTAssertEqual(try request(&endpoint, "$iothub/twin/GET/?$rid=a%20b").topic, "$iothub/twin/res/200/?$rid=a%20b")
    }
}
