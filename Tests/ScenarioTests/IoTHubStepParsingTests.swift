import Scenario
import XCTest

/// The `iothub` timeline step, the `{rid}` of a `respond:` rule's topic and a certificate identity's
/// username: what the lab broker's IoT Hub profile needs from a scenario, checked before anything runs.
final class IoTHubStepParsingTests: XCTestCase {
    private let noFileChecks = ScenarioLoader.Options(checkCertificateFiles: false)

    /// Three IoT Hub devices with X.509 identities on `broker`; `steps` are appended to the timeline,
    /// `extras` to the group. Line 13 is the first of `steps`.
    private func hubScenario(broker: String = "lab:iothub", extras: [String] = [], steps: [String]) -> String {
        var lines = [
            "name: hub",
            "broker: \(broker)",
            "groups:",
            "  - name: thermostats",
            "    count: 3",
            "    client-id: \"t-{index}\"",
            "    personality: esp-mqtt",
            "    credentials: { certificates: certs, username: \"lab.azure-devices.net/{clientId}/?api-version=2021-04-12\" }",
            #"    subscribe: ["devices/{clientId}/messages/devicebound/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#"]"#,
        ]
        lines += extras.map { "    " + $0 }
        lines += ["timeline:", "  - { at: 0s, ramp: { over: 1s } }"]
        lines += steps.map { "  - " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    private func hubSpec(_ step: TimelineStep?, file: StaticString = #filePath, line: UInt = #line) throws -> IoTHubSpec {
        guard case .iotHub(let spec)? = step?.action else {
            XCTFail("not an iothub step: \(String(describing: step?.action))", file: file, line: line)
            throw CancellationError()
        }
        return spec
    }

    func testTheThreeRequestsParseWithTheirTemplatesAndSelections() throws {
        let plan = try loadPlan(hubScenario(steps: [
            #"{ at: 5s, iothub: { select: 2, c2d: "reboot {clientId}", properties: { kind: cmd, site: "{group}" } } }"#,
            #"{ at: 6s, iothub: { select: all, desired: '{"interval":5,"owner":"{clientId}"}' } }"#,
            #"{ at: 7s, iothub: { select: [t-3], method: reboot, payload: '{"delay":1}', timeout: 10s } }"#,
            "{ at: 8s, iothub: { group: thermostats, method: ping } }",
        ]), options: noFileChecks)
        XCTAssertEqual(plan.timeline.count, 5)

        let c2d = try hubSpec(plan.timeline[1])
        XCTAssertEqual(c2d.target, Target(selection: .count(2)))
        guard case .cloudToDevice(let payload, let properties) = c2d.request else { return XCTFail("\(c2d.request)") }
        XCTAssertEqual(payload.binding(clientID: "t-1", index: 1, group: "thermostats").text, "reboot t-1")
        XCTAssertEqual(properties.map(\.name), ["kind", "site"])
        XCTAssertEqual(properties.map { $0.value.binding(clientID: "t-1", index: 1, group: "thermostats").text },
                       ["cmd", "thermostats"])
        XCTAssertEqual(c2d.request.keyword, "c2d")

        let desired = try hubSpec(plan.timeline[2])
        XCTAssertEqual(desired.target, Target(selection: .all))
        guard case .desired(let patch) = desired.request else { return XCTFail("\(desired.request)") }
        XCTAssertEqual(patch.binding(clientID: "t-2", index: 2, group: "g").text, #"{"interval":5,"owner":"t-2"}"#)

        let method = try hubSpec(plan.timeline[3])
        XCTAssertEqual(method.target, Target(selection: .ids(["t-3"])))
        XCTAssertEqual(method.request, .method(name: "reboot", payload: Template(literal: #"{"delay":1}"#), timeout: .seconds(10)))

        let ping = try hubSpec(plan.timeline[4])
        XCTAssertEqual(ping.target, Target(selection: .group("thermostats")))
        XCTAssertEqual(ping.request, .method(name: "ping", payload: Template(literal: ""), timeout: nil),
                       "no payload: an empty body; no timeout: IoT Hub's default")
    }

    func testAnotherBrokerRefusesTheStepWhereItIsWritten() {
        let step = #"{ at: 5s, iothub: { c2d: hello } }"#
        for broker in ["lab:eventgrid", "mqtts://127.0.0.1:8883"] {
            var yaml = hubScenario(broker: broker, steps: [step])
            // Event Grid would also refuse the IoT Hub username (not the authentication name): keep that out.
            if broker == "lab:eventgrid" { yaml = yaml.replacingOccurrences(of: ", username: \"lab.azure-devices.net/{clientId}/?api-version=2021-04-12\"", with: "") }
            let error = assertSingleError(yaml, at: "{ c2d", mentions: "needs the lab broker's IoT Hub profile",
                                          hint: "broker: lab:iothub", options: noFileChecks)
            XCTAssertEqual(error?.line, 12, broker)
        }
    }

    func testBrokerOverrideDecidesToo() throws {
        let yaml = hubScenario(broker: "mqtts://127.0.0.1:8883", steps: [#"{ at: 5s, iothub: { c2d: hello } }"#])
        var options = noFileChecks
        options.brokerOverride = "lab:iothub"
        XCTAssertNoThrow(try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: options))
        options.brokerOverride = "lab:standard"
        assertSingleError(yaml, at: "{ c2d", mentions: "the lab broker's `standard` profile", options: options)
    }

    func testAWorkerOfASplitRunLoadsTheStepsItsCoordinatorSends() throws {
        // The coordinator hands its workers the running lab broker's URL as --broker.
        let yaml = hubScenario(steps: [#"{ at: 5s, iothub: { c2d: hello } }"#])
        var options = noFileChecks
        options.brokerOverride = "mqtts://127.0.0.1:40123"
        XCTAssertThrowsError(try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: options))
        options.iotHubStepsSentByCoordinator = true
        let plan = try loadPlan(yaml, options: options)
        XCTAssertEqual(plan.timeline.last?.action, .iotHub(IoTHubSpec(
            target: Target(selection: .all), request: .cloudToDevice(payload: Template(literal: "hello"), properties: []))))
    }

    func testExactlyOneRequestPerStep() {
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { c2d: hi, method: reboot } }"#]), at: "method: reboot } }",
                          mentions: "both `c2d` and `method`", hint: "one request per step", options: noFileChecks)
        assertSingleError(hubScenario(steps: ["{ at: 5s, iothub: { select: 1 } }"]), at: "{ select: 1",
                          mentions: "`iothub` sends nothing", hint: "exactly one of c2d", options: noFileChecks)
    }

    func testKeysOfAnotherRequestAreRefused() {
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { desired: '{"a":1}', timeout: 5s } }"#]),
                          at: "timeout", mentions: "`timeout` belongs to `method`, not to `desired`", options: noFileChecks)
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { method: m, properties: { a: b } } }"#]),
                          at: "properties: { a: b }", mentions: "`properties` belongs to `c2d`", options: noFileChecks)
    }

    func testDesiredPatchMustBeAJSONObjectOnEveryDevice() {
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { desired: '[1, 2]' } }"#]), at: "'[1, 2]'",
                          mentions: "`desired` is not a JSON object", options: noFileChecks)
        // Unquoted, the client ID breaks the JSON once filled in.
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { desired: '{"owner":{clientId}}' } }"#]),
                          at: "'{\"owner\"", mentions: "`desired` is not a JSON object", options: noFileChecks)
    }

    func testMethodPayloadMustBeJSONOrEmpty() throws {
        assertSingleError(hubScenario(steps: [#"{ at: 5s, iothub: { method: m, payload: "not json" } }"#]),
                          at: "\"not json\"", mentions: "`payload` is not JSON", options: noFileChecks)
        let plan = try loadPlan(hubScenario(steps: [#"{ at: 5s, iothub: { method: m, payload: '42' } }"#]),
                                options: noFileChecks)
        XCTAssertEqual(try hubSpec(plan.timeline.last).request, .method(name: "m", payload: Template(literal: "42"), timeout: nil),
                       "any JSON value, as IoT Hub takes it")
    }

    func testMethodTimeoutWithinIoTHubsRange() {
        assertSingleError(hubScenario(steps: ["{ at: 5s, iothub: { method: m, timeout: 2s } }"]), at: "2s }",
                          mentions: "IoT Hub takes 5s to 5m", hint: "default of 30s", options: noFileChecks)
        assertSingleError(hubScenario(steps: ["{ at: 5s, iothub: { method: m, timeout: 301s } }"]), at: "301s",
                          mentions: "`timeout` is", options: noFileChecks)
    }

    func testMethodNameMustFitATopicLevel() {
        assertSingleError(hubScenario(steps: ["{ at: 5s, iothub: { method: \"a/b\" } }"]), at: "\"a/b\"",
                          mentions: "`a/b` is not a direct method name", options: noFileChecks)
        assertSingleError(hubScenario(steps: ["{ at: 5s, iothub: { method: \"re boot\" } }"]), at: "\"re boot\"",
                          mentions: "is not a direct method name", options: noFileChecks)
    }

    // MARK: respond: with {rid}

    func testReplyTopicTakesTheRequestsRid() throws {
        let plan = try loadPlan(hubScenario(extras: [
            #"respond: [{ filter: "$iothub/methods/POST/#", topic: "$iothub/methods/res/200/?$rid={rid}", payload: '{"ok":true}' }]"#,
        ], steps: []), options: noFileChecks)
        let rule = try XCTUnwrap(plan.devices().first?.respond.first)
        XCTAssertEqual(rule.topic, "$iothub/methods/res/200/?$rid={rid}")
        XCTAssertEqual(rule.replyTopic(answering: "$iothub/methods/POST/reboot/?$rid=42"), "$iothub/methods/res/200/?$rid=42")
        XCTAssertEqual(rule.replyTopic(answering: "$iothub/methods/POST/reboot/?$rid=7&x=1"), "$iothub/methods/res/200/?$rid=7")
        XCTAssertNil(rule.replyTopic(answering: "$iothub/methods/POST/reboot/"), "no $rid: nothing to answer with")
        XCTAssertNil(rule.replyTopic(answering: "$iothub/methods/POST/reboot/?$rid="))
    }

    func testReplyTopicWithoutRidIsFixedAndPerDevice() throws {
        let plan = try loadPlan(hubScenario(extras: [
            #"respond: [{ filter: "devices/{clientId}/messages/devicebound/#", topic: "devices/{clientId}/messages/events/" }]"#,
        ], steps: []), options: noFileChecks)
        let rule = try XCTUnwrap(plan.devices().first?.respond.first)
        XCTAssertEqual(rule.replyTopic(answering: "devices/t-1/messages/devicebound/"), "devices/t-1/messages/events/")
        XCTAssertEqual(DeviceResponse.requestID(in: "$iothub/twin/res/200/?$rid=9&$version=3"), "9")
        XCTAssertNil(DeviceResponse.requestID(in: "a/b?$rid=1/c"), "only the query that ends the topic counts")
    }

    func testRidNeedsARuleThatAnswersMethodRequests() {
        let yaml = hubScenario(extras: [
            #"respond: [{ filter: "devices/{clientId}/messages/devicebound/#", topic: "$iothub/methods/res/200/?$rid={rid}" }]"#,
        ], steps: [])
        assertSingleError(yaml, at: "\"$iothub/methods/res/200", mentions: "`{rid}` is the `$rid` of an IoT Hub direct method request",
                          hint: "$iothub/methods/POST/#", options: noFileChecks)
    }

    // MARK: expect.iothub

    func testExpectIoTHubTakesAllOrNone() throws {
        let plan = try loadPlan(hubScenario(steps: []) + "expect:\n  iothub: { delivered: none, methods-answered: all }\n",
                                options: noFileChecks)
        XCTAssertEqual(plan.expectations.iotHub, IoTHubExpectations(delivered: .noneOfThem, methodsAnswered: .all))
        let yaml = hubScenario(steps: []) + "expect:\n  iothub: { delivered: most }\n"
        assertSingleError(yaml, at: "most }", mentions: "`most`", hint: "all, none", options: noFileChecks)
        assertSingleError(hubScenario(steps: []) + "expect:\n  iothub: {}\n", at: "{}", mentions: "checks nothing",
                          options: noFileChecks)
        assertSingleError(hubScenario(steps: []) + "expect:\n  iothub: { methods-answerd: all }\n", at: "methods-answerd",
                          mentions: "unknown key `methods-answerd`", hint: "methods-answered", options: noFileChecks)
    }

    // MARK: credentials

    func testCertificateIdentityCarriesItsUsername() throws {
        let plan = try loadPlan(hubScenario(steps: []), options: noFileChecks)
        guard case .certificate(let files, let username)? = plan.devices().first?.credentials else {
            return XCTFail("\(String(describing: plan.devices().first?.credentials))")
        }
        XCTAssertEqual(files.chain, "certs/devices/t-1/chain.pem")
        XCTAssertEqual(username, "lab.azure-devices.net/t-1/?api-version=2021-04-12")
    }

    func testCertificateWithAPasswordIsRefused() {
        let yaml = hubScenario(steps: []).replacingOccurrences(
            of: "credentials: { certificates: certs, username:", with: "credentials: { certificates: certs, password: x, username:")
        assertSingleError(yaml, at: "x, username", mentions: "either `certificates` or a `password`", options: noFileChecks)
    }
}
