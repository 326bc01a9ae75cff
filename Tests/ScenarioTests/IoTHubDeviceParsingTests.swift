import Scenario
import XCTest

/// What IoT Hub devices declare in a group: replies that take the method request's `{rid}` and `{method}`,
/// and telemetry that carries message properties in its topic.
final class IoTHubDeviceParsingTests: XCTestCase {
    private let noFileChecks = ScenarioLoader.Options(checkCertificateFiles: false)

    private func hub(_ extras: [String]) -> String {
        iotHubDevices(extras, subscribe: #"["devices/{clientId}/messages/devicebound/#", "$iothub/methods/POST/#"]"#)
    }

    // MARK: respond: {rid} and {method}

    func testReplyTopicAndPayloadTakeTheRequestsRidAndMethod() throws {
        let plan = try loadPlan(hub([
            #"respond: [{ filter: "$iothub/methods/POST/#", topic: "$iothub/methods/res/200/?$rid={rid}&m={method}","#,
            #"            payload: '{"method":"{method}","rid":"{rid}","by":"{clientId}"}' }]"#,
        ]), options: noFileChecks)
        let rule = try XCTUnwrap(plan.devices().first?.respond.first)
        let captures = try XCTUnwrap(rule.captures(answering: "$iothub/methods/POST/reboot/?$rid=42"))
        XCTAssertEqual(captures, RequestCaptures(requestID: "42", methodName: "reboot"))
        XCTAssertEqual(rule.replyTopic(captures), "$iothub/methods/res/200/?$rid=42&m=reboot")
        XCTAssertEqual(rule.payload, Template(parts: [
            .text(#"{"method":""#), .methodName, .text(#"","rid":""#), .requestID, .text(#"","by":"t-1"}"#),
        ]), "per-device placeholders bound, the request's left for each reply")
        XCTAssertNil(rule.captures(answering: "$iothub/methods/POST/reboot/"), "no $rid: the firmware cannot answer")
    }

    func testAPayloadThatNeedsTheRidLeavesARequestWithoutOneUnanswered() throws {
        let plan = try loadPlan(hub([
            #"respond: [{ filter: "$iothub/methods/POST/#", topic: "$iothub/methods/res/200/?$rid=1", payload: '{"rid":"{rid}"}' }]"#,
        ]), options: noFileChecks)
        let rule = try XCTUnwrap(plan.devices().first?.respond.first)
        XCTAssertEqual(rule.replyTopic(answering: "$iothub/methods/POST/reboot/?$rid=9"), "$iothub/methods/res/200/?$rid=1",
                       "a fixed topic stays as written")
        XCTAssertNil(rule.captures(answering: "$iothub/methods/POST/reboot/?x=1"))
    }

    func testMethodNameNeedsARuleThatAnswersMethodRequests() {
        let yaml = hub([
            #"respond: [{ filter: "devices/{clientId}/messages/devicebound/#", topic: "devices/{clientId}/messages/events/","#,
            #"            payload: '{"answered":"{method}"}' }]"#,
        ])
        assertSingleError(yaml, at: #"'{"answered""#, mentions: "`{method}` is the method name of an IoT Hub direct method request",
                          hint: "$iothub/methods/POST/#", options: noFileChecks)
    }

    func testRidInAPayloadNeedsARuleThatAnswersMethodRequests() {
        let yaml = hub([
            #"respond: [{ filter: "devices/{clientId}/messages/devicebound/#", topic: "devices/{clientId}/messages/events/", payload: '{{rid}}' }]"#,
        ])
        assertSingleError(yaml, at: "'{{rid}}'", mentions: "`{rid}` is the `$rid` of an IoT Hub direct method request",
                          options: noFileChecks)
    }

    func testRequestPlaceholdersAreForRepliesOnly() {
        let yaml = hub([#"telemetry: { topic: "devices/{clientId}/messages/events/", every: 1s, payload: '{"m":"{method}"}' }"#])
        assertSingleError(yaml, at: #"{method}"}'"#, mentions: "placeholder `{method}` cannot be used here", options: noFileChecks)
    }

    func testCapturesOfATopic() {
        XCTAssertEqual(RequestCaptures(topic: "$iothub/methods/POST/set-interval/?$rid=a1"),
                       RequestCaptures(requestID: "a1", methodName: "set-interval"))
        XCTAssertEqual(RequestCaptures(topic: "$iothub/twin/res/200/?$rid=3"), RequestCaptures(requestID: "3"))
        XCTAssertEqual(RequestCaptures(topic: "$iothub/methods/POST//?$rid=3"), RequestCaptures(requestID: "3"),
                       "an empty method name is none")
        XCTAssertEqual(RequestCaptures(topic: "devices/t-1/messages/devicebound/"), RequestCaptures())
    }

    // MARK: telemetry properties

    func testTelemetryPropertiesAreURLEncodedIntoTheTopicAsTheSDKsDo() throws {
        let plan = try loadPlan(hub([
            #"telemetry: { topic: "devices/{clientId}/messages/events/", every: 1s,"#,
            #"             properties: { "$.ct": application/json, "$.ce": utf-8, site: "plant 7/a&b=c" } }"#,
        ]), options: noFileChecks)
        XCTAssertEqual(plan.devices().first?.telemetry?.topic,
                       "devices/t-1/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&site=plant%207%2Fa%26b%3Dc")
    }

    func testABagFollowsATopicWithoutItsTrailingSlash() throws {
        let plan = try loadPlan(hub([
            #"telemetry: { topic: "devices/{clientId}/messages/events", every: 1s, properties: { kind: reading, empty: "" } }"#,
        ]), options: noFileChecks)
        XCTAssertEqual(plan.devices().last?.telemetry?.topic, "devices/t-2/messages/events/kind=reading&empty=")
    }

    func testPropertyValuesAreFixed() {
        let yaml = hub([
            #"telemetry: { topic: "devices/{clientId}/messages/events/", every: 1s, properties: { seq: "{sequence}" } }"#,
        ])
        assertSingleError(yaml, at: #"{sequence}" }"#, mentions: "placeholder `{sequence}` cannot be used here",
                          options: noFileChecks)
        let perDevice = hub([
            #"telemetry: { topic: "devices/{clientId}/messages/events/", every: 1s, properties: { who: "{clientId}" } }"#,
        ])
        assertSingleError(perDevice, at: #""{clientId}" }"#, mentions: "property `who` is sent in the topic, which is fixed",
                          options: noFileChecks)
    }

    func testPropertiesMustBeAMapping() {
        let yaml = hub([#"telemetry: { topic: "devices/{clientId}/messages/events/", every: 1s, properties: [a, b] }"#])
        assertSingleError(yaml, at: "[a, b]", mentions: "`properties` must map message property names to values",
                          options: noFileChecks)
    }
}

/// Two X.509 IoT Hub devices on `lab:iothub` subscribed to `subscribe`; `extras` (from line 10) are added to the
/// group, `expect` after the timeline.
func iotHubDevices(_ extras: [String], subscribe: String, expect: String = "") -> String {
    var lines = [
        "name: hub",
        "broker: lab:iothub",
        "groups:",
        "  - name: thermostats",
        "    count: 2",
        "    client-id: \"t-{index}\"",
        "    personality: esp-mqtt",
        "    credentials: { certificates: certs, username: \"lab.azure-devices.net/{clientId}/?api-version=2021-04-12\" }",
        "    subscribe: \(subscribe)",
    ]
    lines += extras.map { "    " + $0 }
    lines += ["timeline:", "  - { at: 0s, ramp: { over: 1s } }"]
    return lines.joined(separator: "\n") + "\n" + expect
}
