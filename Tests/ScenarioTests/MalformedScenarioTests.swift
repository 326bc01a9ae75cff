import Foundation
import Scenario
import XCTest

/// Bad input is rejected before anything connects, at the right place, with a useful message.
final class MalformedScenarioTests: XCTestCase {
    func testTheBaseScenarioIsValid() throws {
        let plan = try loadPlan(scenario())
        XCTAssertEqual(plan.deviceCount, 10)
    }

    func testUnknownKeySuggestsTheNearMiss() {
        let yaml = scenario(group: ["keepalve: 15s"])
        let error = assertSingleError(yaml, line: 8, column: 5, mentions: "unknown key `keepalve`",
                                      hint: "did you mean `keepalive`?")
        XCTAssertEqual(error?.description,
                       "test.yaml:8:5: error: unknown key `keepalve` in group `sensors` (hint: did you mean `keepalive`?)")
    }

    func testUnknownKeyWithoutNearMissListsTheAllowedKeys() {
        assertSingleError(scenario(group: ["colour: red"]), at: "colour", mentions: "unknown key `colour`",
                          hint: "allowed keys: name, count, client-id")
    }

    func testUnknownTopLevelKey() {
        let yaml = "timelines: []\n" + scenario()
        assertSingleError(yaml, at: "timelines", mentions: "unknown key `timelines`", hint: "did you mean `timeline`?")
    }

    func testWrongTypeForCount() {
        let yaml = scenario().replacingOccurrences(of: "count: 10", with: "count: ten")
        assertSingleError(yaml, at: "ten", mentions: "`count` must be a whole number")
    }

    func testWrongTypeMappingWhereTextExpected() {
        let yaml = scenario(group: ["telemetry: { topic: { a: b }, every: 1s }"])
        assertSingleError(yaml, at: "{ a: b }", mentions: "`topic` must be text, found a mapping")
    }

    func testNegativeCount() {
        let yaml = scenario().replacingOccurrences(of: "count: 10", with: "count: -5")
        assertSingleError(yaml, at: "-5", mentions: "`count` is -5, it must be between 1 and",
                          hint: "a group has at least one device")
    }

    func testQoSThree() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientId}/t\", every: 1s, qos: 3 }"])
        assertSingleError(yaml, at: "3 }", mentions: "`qos` 3 is not a valid QoS", hint: "allowed values: 0, 1, 2")
    }

    func testZeroTelemetryInterval() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientId}/t\", every: 0s }"])
        assertSingleError(yaml, at: "0s }", mentions: "`every` must be longer than 0s")
    }

    func testPercentAboveHundred() {
        let yaml = scenario(steps: ["{ at: 5s, disconnect: { select: 150%, mode: abrupt } }"])
        assertSingleError(yaml, at: "150%", mentions: "150% is not between 0% and 100%")
    }

    func testUnknownPersonalityListsTheAllowedValues() {
        let yaml = scenario(personality: "arduino")
        assertSingleError(yaml, at: "arduino", mentions: "unknown personality `arduino`",
                          hint: "allowed values: pubsubclient, esp-mqtt, nanoframework, custom")
    }

    func testNearMissPersonality() {
        assertSingleError(scenario(personality: "esp_mqtt"), at: "esp_mqtt", mentions: "unknown personality",
                          hint: "did you mean `esp-mqtt`?")
    }

    func testUnknownDisconnectMode() {
        let yaml = scenario(steps: ["{ at: 5s, disconnect: { select: 2, mode: sudden } }"])
        assertSingleError(yaml, at: "sudden", mentions: "unknown disconnect mode `sudden`",
                          hint: "abrupt, silent, graceful, graceful-with-will")
    }

    func testSelectionLargerThanTheGroup() {
        let yaml = scenario(steps: ["{ at: 5s, disconnect: { group: sensors, select: 11, mode: abrupt } }"])
        assertSingleError(yaml, at: "11", mentions: "`select` 11 is more than the 10 devices in group `sensors`",
                          hint: "select at most 10")
    }

    func testSelectionOfAnUnknownClientID() {
        let yaml = scenario(steps: ["{ at: 5s, disconnect: { select: [test-01, test-1], mode: abrupt } }"])
        assertSingleError(yaml, at: "test-1]", mentions: "client ID `test-1` is not in the fleet",
                          hint: "did you mean `test-01`?")
    }

    func testUnknownGroup() {
        let yaml = scenario(steps: ["{ at: 5s, disconnect: { group: sensor, mode: abrupt } }"])
        assertSingleError(yaml, at: "sensor,", mentions: "unknown group `sensor`", hint: "did you mean `sensors`?")
    }

    func testMissingCAFile() {
        let yaml = scenario()
            .replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: "  url: mqtts://127.0.0.1:8883\n  ca: no/such/root.pem")
        assertSingleError(yaml, at: "no/such/root.pem", mentions: "CA file `no/such/root.pem` does not exist",
                          options: ScenarioLoader.Options(baseDirectory: NSTemporaryDirectory()))
    }

    func testMissingCertificateFolder() {
        let yaml = scenario(group: ["credentials: { certificates: no-such-certs }"])
            .replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "mqtts://127.0.0.1:8883")
        assertSingleError(yaml, at: "no-such-certs", mentions: "certificate folder `no-such-certs` does not exist",
                          hint: "fleet certs", options: ScenarioLoader.Options(baseDirectory: NSTemporaryDirectory()))
    }

    func testMissingDeviceCertificateFiles() throws {
        let folder = try TemporaryCertificates(clientIDs: (1...10).map { String(format: "test-%02d", $0) })
        defer { folder.remove() }
        try FileManager.default.removeItem(atPath: folder.path + "/devices/test-07/key.pem")
        let yaml = scenario(group: ["credentials: { certificates: \(folder.path) }"])
            .replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "mqtts://127.0.0.1:8883")
        assertSingleError(yaml, at: "{ certificates", mentions: "1 certificate file(s) missing, first `\(folder.path)/devices/test-07/key.pem`")
    }

    func testCompleteCertificateFolderLoads() throws {
        let folder = try TemporaryCertificates(clientIDs: (1...10).map { String(format: "test-%02d", $0) })
        defer { folder.remove() }
        let yaml = scenario(group: ["credentials: { certificates: \(folder.path) }"])
            .replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "mqtts://127.0.0.1:8883")
        let plan = try loadPlan(yaml)
        guard case .certificate(let files, _)? = plan.devices().last?.credentials else {
            return XCTFail("devices should carry certificate files")
        }
        XCTAssertEqual(files.chain, folder.path + "/devices/test-10/chain.pem")
        XCTAssertEqual(files.key, folder.path + "/devices/test-10/key.pem")
    }

    func testBadDurationSyntax() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientId}/t\", every: 2 seconds }"])
        assertSingleError(yaml, at: "2 seconds", mentions: "`every` `2 seconds` is not a duration", hint: "500ms, 2s, 1.5m, 1h")
    }

    func testDurationWithoutUnit() {
        let yaml = scenario(group: ["keepalive: 15"])
        assertSingleError(yaml, at: "15", mentions: "`keepalive` `15` has no unit")
    }

    func testBadRateSyntax() {
        let yaml = scenario(steps: ["{ at: 5s, throttle: { bandwidth: 2kbps, for: 5s } }"])
        assertSingleError(yaml, at: "2kbps", mentions: "is not a rate", hint: "2kbit/s")
    }

    func testYAMLSyntaxError() {
        // The flow mapping opened on line 9 is never closed; libyaml notices at the start of line 10.
        let yaml = scenario().replacingOccurrences(of: "ramp: { over: 1s } }", with: "ramp: { over: 1s }")
            + "  - { at: 2s, stop: graceful }\n"
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.problem.hasPrefix("YAML syntax error") == true, "\(errors)")
        XCTAssertEqual(errors.first?.line, 10)
        XCTAssertEqual(errors.first?.column, 3)
    }

    func testTabIndentationIsASyntaxError() {
        let yaml = scenario().replacingOccurrences(of: "    count: 10", with: "\tcount: 10")
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.problem.contains("YAML syntax error") == true, "\(errors)")
        XCTAssertEqual(errors.first?.line, 6)
    }

    func testDuplicateKey() {
        let yaml = scenario(group: ["count: 3"])
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.problem.contains("duplicate key `count`") == true, "\(errors)")
    }

    func testAllErrorsAreReportedInFileOrder() {
        let yaml = scenario(group: ["keepalve: 15s", "retry: 5 seconds"], personality: "arduino",
                            steps: ["{ at: 5s, disconnect: { select: 20, mode: abrupt } }"])
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.map { $0.line }, [8, 9, 10, 13], errors.map { $0.description }.joined(separator: "\n"))
        XCTAssertTrue(errors.allSatisfy { $0.description.hasPrefix("test.yaml:\($0.line):\($0.column): error: ") })
    }

    func testPubSubClientCannotSpeakMQTT5() {
        let yaml = scenario(group: ["protocol: 5"], personality: "pubsubclient")
        // Line 9 is "    protocol: 5" (line 8 holds the personality).
        assertSingleError(yaml, line: 9, column: 15, mentions: "personality `pubsubclient` cannot speak MQTT 5",
                          hint: "for MQTT 5 use personality esp-mqtt, nanoframework, custom")
    }

    func testPubSubClientPublishesQoSZeroOnly() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientId}/t\", every: 1s, qos: 1 }"],
                            personality: "pubsubclient")
        assertSingleError(yaml, at: "1 }", mentions: "above what PubSubClient can publish")
    }

    func testMQTT5PropertiesNeedMQTT5() {
        let yaml = scenario(group: ["will: { topic: \"devices/{clientId}/status\", delay: 5s }"], personality: "esp-mqtt")
        assertSingleError(yaml, at: "5s }", mentions: "`delay` needs MQTT 5 but group `sensors` speaks MQTT 3.1.1")
    }

    func testUserPropertiesNeedMQTT5() {
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, user-properties: { sent-at: "{timestamp}" } }"#],
                            personality: "esp-mqtt")
        assertSingleError(yaml, at: "{ sent-at", mentions: "`user-properties` needs MQTT 5 but group `sensors` speaks MQTT 3.1.1")
    }

    func testUserPropertiesMustBeAMapping() {
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, user-properties: [sent-at] }"#],
                            personality: "nanoframework")
        assertSingleError(yaml, at: "[sent-at]", mentions: "`user-properties` must map names to values", hint: "{timestamp}")
    }

    func testUserPropertyValueWithUnknownPlaceholder() {
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, user-properties: { at: "{timestmp}" } }"#],
                            personality: "nanoframework")
        assertSingleError(yaml, at: "{timestmp}", mentions: "in `at`", hint: "{timestamp}")
    }

    func testObserverCertificateNeedsItsKey() {
        let yaml = scenario(brokerURL: "mqtts://127.0.0.1:8883", observerCredentials: "{ certificate: observer/chain.pem }")
        assertSingleError(yaml, at: "{ certificate", mentions: "needs both `certificate` and `key`",
                          options: ScenarioLoader.Options(checkCertificateFiles: false))
    }

    func testObserverCertificateNeedsTLS() {
        let yaml = scenario(brokerURL: "mqtt://127.0.0.1:1883",
                            observerCredentials: "{ certificate: observer/chain.pem, key: observer/key.pem }")
        assertSingleError(yaml, at: "{ certificate", mentions: "the observers' broker is not TLS",
                          options: ScenarioLoader.Options(checkCertificateFiles: false))
    }

    func testMissingObserverCertificateFileIsNamed() {
        let yaml = scenario(brokerURL: "mqtts://127.0.0.1:8883",
                            observerCredentials: "{ certificate: no/such/chain.pem, key: no/such/key.pem }")
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.map(\.problem), ["observer certificate file `no/such/chain.pem` does not exist",
                                              "observer key file `no/such/key.pem` does not exist"])
    }

    func testResponseToNothingSubscribedIsRefused() {
        let yaml = scenario(group: [
            #"subscribe: ["devices/{clientId}/config"]"#,
            #"respond: [{ filter: "devices/{clientId}/commands/#", topic: "devices/{clientId}/replies" }]"#,
        ])
        assertSingleError(yaml, at: "\"devices/{clientId}/commands/#\"", mentions: "matches none of the group's subscriptions",
                          hint: "add it to `subscribe:`")
    }

    func testResponseNeedsATopic() {
        let yaml = scenario(group: [#"subscribe: ["cmd/#"]"#, #"respond: [{ filter: "cmd/+" }]"#])
        assertSingleError(yaml, at: "{ filter", mentions: "`topic`")
    }

    func testGracefulWithWillNeedsMQTT5() {
        let yaml = scenario(personality: "pubsubclient", steps: ["{ at: 5s, disconnect: { mode: graceful-with-will } }"])
        assertSingleError(yaml, at: "graceful-with-will", mentions: "needs MQTT 5")
    }

    func testWildcardInPublishTopic() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/+/t\", every: 1s }"])
        assertSingleError(yaml, at: "\"devices/+/t\"", mentions: "contains a wildcard")
    }

    func testBadSubscriptionFilter() {
        let yaml = scenario(group: ["subscribe: [\"devices/#/x\"]"])
        assertSingleError(yaml, at: "\"devices/#/x\"", mentions: "`#` must be the whole last level")
    }

    func testUnknownPlaceholderIsLocatedAtTheBrace() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientID}/t\", every: 1s }"])
        assertSingleError(yaml, at: "{clientID}", mentions: "unknown placeholder `{clientID}`",
                          hint: "did you mean `{clientId}`?")
    }

    func testPerMessagePlaceholderNotAllowedInTopic() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{sequence}\", every: 1s }"])
        assertSingleError(yaml, at: "{sequence}", mentions: "placeholder `{sequence}` cannot be used here")
    }

    func testClientIDPatternWithoutIndex() {
        let yaml = scenario().replacingOccurrences(of: "\"test-{index:02}\"", with: "\"test\"")
        assertSingleError(yaml, at: "\"test\"", mentions: "would share one client ID", hint: "duplicate-client-id")
    }

    func testClientIDsCollidingAcrossGroups() {
        let yaml = """
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - { name: sensors, count: 3, client-id: "dev-{index}" }
              - { name: more, count: 2, client-id: "dev-{index}" }
            timeline:
              - { at: 0s, ramp: {} }
            """
        assertSingleError(yaml, at: "{ name: more", mentions: "client ID `dev-1` is produced by groups `sensors` and `more`")
    }

    func testStepsOutOfOrder() {
        let yaml = scenario(steps: ["{ at: 10s, wait: 1s }", "{ at: 5s, stop: graceful }"])
        assertSingleError(yaml, at: "5s, stop", mentions: "step at 5s comes before the previous step's 11s")
    }

    func testStepWithTwoActions() {
        let yaml = scenario(steps: ["{ at: 5s, wait: 1s, stop: graceful }"])
        assertSingleError(yaml, at: "stop", mentions: "second action `stop`")
    }

    func testVerifyNoneMustBeAskedForByName() {
        let yaml = scenario().replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883",
                                                   with: "  url: mqtts://127.0.0.1:8884\n  verify: none")
        assertSingleError(yaml, at: "none", mentions: "`verify: none` is not accepted", hint: "insecure-skip-verify: true")
    }

    func testBadBrokerURL() {
        let yaml = scenario().replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "http://127.0.0.1:1883")
        assertSingleError(yaml, at: "http", mentions: "unsupported scheme `http`", hint: "mqtts://host:port")
    }

    func testProfileLimitsAreChecked() {
        let yaml = scenario(group: ["telemetry: { topic: \"devices/{clientId}/t\", every: 1s, qos: 2 }"])
            .replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: "  url: mqtt://127.0.0.1:1883\n  profile: azure-event-grid")
        assertSingleError(yaml, at: "2 }", mentions: "azure-event-grid's maximum QoS (1)")
    }

    func testEmptyFile() {
        let errors = scenarioErrors("")
        XCTAssertEqual(errors.map(\.line), [1])
        XCTAssertTrue(errors.first?.problem.contains("empty") == true)
    }
}

/// A throw-away `fleet certs`-shaped folder: devices/<clientId>/chain.pem and key.pem (contents irrelevant here).
struct TemporaryCertificates {
    let path: String

    init(clientIDs: [String]) throws {
        path = NSTemporaryDirectory() + "scenario-certs-" + UUID().uuidString
        for id in clientIDs {
            let folder = path + "/devices/" + id
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("chain".utf8).write(to: URL(fileURLWithPath: folder + "/chain.pem"))
            try Data("key".utf8).write(to: URL(fileURLWithPath: folder + "/key.pem"))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
