import Foundation
import LabBroker
import MQTTCore
import XCTest

final class ProfileLoaderTests: XCTestCase {
    private func errors(_ yaml: String, file: String = "my.yaml") -> [ProfileError] {
        do {
            _ = try ProfileLoader.parse(yaml: yaml, file: file)
            XCTFail("accepted:\n\(yaml)")
            return []
        } catch {
            return error.errors
        }
    }

    private func assertOneError(_ yaml: String, line: Int, column: Int, problem: String, hint: String? = nil,
                                file: StaticString = #filePath, testLine: UInt = #line) {
        let found = errors(yaml)
        XCTAssertEqual(found.count, 1, found.description, file: file, line: testLine)
        guard let error = found.first else { return }
        XCTAssertEqual(error.file, "my.yaml", file: file, line: testLine)
        XCTAssertEqual(error.line, line, error.description, file: file, line: testLine)
        XCTAssertEqual(error.column, column, error.description, file: file, line: testLine)
        XCTAssertTrue(error.problem.contains(problem), error.description, file: file, line: testLine)
        if let hint {
            XCTAssertTrue(error.hint?.contains(hint) ?? false, error.description, file: file, line: testLine)
        }
    }

    func testAMinimalProfileIsTheSpecification() throws {
        let profile = try ProfileLoader.parse(yaml: "name: mine\n", file: "my.yaml")
        XCTAssertEqual(profile.name, "mine")
        XCTAssertEqual(profile.maximumQoS, .exactlyOnce)
        XCTAssertEqual(profile.sources, [:])
    }

    func testExtendsOverridesSomeRulesAndKeepsTheRest() throws {
        let profile = try ProfileLoader.parse(yaml: """
            name: eventgrid-8h
            extends: eventgrid
            rules:
              maximum-session-expiry: { value: 8h, source: "seed 003: 'can be extended up to 8 hours'" }
              lockout: none
              connects-total: none
            """, file: "eventgrid-8h.yaml")
        let base = try ProfileLoader.builtIn(named: "eventgrid")
        XCTAssertEqual(profile.name, "eventgrid-8h")
        XCTAssertEqual(profile.summary, base.summary)
        XCTAssertEqual(profile.maximumSessionExpiry, 8 * 3600)
        XCTAssertNil(profile.throttling.lockout)
        XCTAssertNil(profile.throttling.connectsTotal)
        XCTAssertEqual(profile.throttling.connectsPerClient, base.throttling.connectsPerClient)
        XCTAssertEqual(profile.maximumQoS, .atLeastOnce)
        XCTAssertEqual(profile.takeover, .refuseNew)
        XCTAssertEqual(profile.sources["maximum-session-expiry"], "seed 003: 'can be extended up to 8 hours'")
        XCTAssertEqual(profile.sources["lockout"], "eventgrid-8h.yaml:5", "an uncited override cites its line")
        XCTAssertEqual(profile.sources["takeover"], base.sources["takeover"])
    }

    func testEveryValueForm() throws {
        let profile = try ProfileLoader.parse(yaml: """
            name: every
            summary: every form
            rules:
              protocol-versions: [5]
              requires-tls: true
              authentication: certificate-common-name
              maximum-qos: 0
              qos-above-maximum: refuse-message
              retain: { refused: refuse-message }
              maximum-keep-alive: 10m
              topic-alias-maximum: 0
              maximum-packet-size: 1 MiB
              receive-maximum: 20
              maximum-session-expiry: 90s
              takeover: refuse-new
              unauthorized-will: drop-will
              shared-subscriptions: false
              offline-queue: { messages: 5, bytes: 2 KB, on-overflow: end-session }
              authorization:
                - { topic: "a/${client.clientId}/#", actions: [publish], identity: "dev-*" }
                - topic: "b/+"
                  actions: [subscribe, publish]
              connects-per-client: 3
              connects-total: 40
              messages-per-client: 7
              lockout: { failures: 2, window: 1.5s, duration: 2m }
              iot-hub: { host-name: h.azure-devices.net, device-keys: { d1: "AAEC" } }
            """, file: "every.yaml")
        XCTAssertEqual(profile.summary, "every form")
        XCTAssertEqual(profile.protocolVersions, [.v5_0])
        XCTAssertTrue(profile.requiresTLS)
        XCTAssertEqual(profile.authentication, .certificateCommonName(usernameMustMatch: false))
        XCTAssertEqual(profile.maximumQoS, .atMostOnce)
        XCTAssertEqual(profile.qosAboveMaximum, .refuseMessage)
        XCTAssertEqual(profile.retain, .refused(.refuseMessage))
        XCTAssertEqual(profile.maximumKeepAlive, 600)
        XCTAssertEqual(profile.topicAliasMaximum, 0)
        XCTAssertEqual(profile.maximumPacketSize, 1 << 20)
        XCTAssertEqual(profile.receiveMaximum, 20)
        XCTAssertEqual(profile.maximumSessionExpiry, 90)
        XCTAssertEqual(profile.takeover, .refuseNew)
        XCTAssertEqual(profile.unauthorizedWill, .dropWill)
        XCTAssertFalse(profile.sharedSubscriptions)
        XCTAssertEqual(profile.offlineQueue, QueueLimit(messages: 5, bytes: 2000, onOverflow: .endSession))
        XCTAssertEqual(profile.authorization, [
            TopicPermission(topicTemplate: "a/${client.clientId}/#", actions: [.publish], identity: "dev-*"),
            TopicPermission(topicTemplate: "b/+", actions: [.subscribe, .publish]),
        ])
        XCTAssertEqual(profile.throttling, ThrottleRules(connectsPerClient: 3, connectsTotal: 40, messagesPerClient: 7,
                                                         lockout: .init(failures: 2, windowSeconds: 1.5, durationSeconds: 120)))
        XCTAssertEqual(profile.iotHub, IoTHubRules(hostName: "h.azure-devices.net", deviceKeys: ["d1": "AAEC"]))
        XCTAssertEqual(Set(profile.sources.keys).count, 21)
    }

    func testAnEmptyAuthorizationListDeniesEverything() throws {
        let profile = try ProfileLoader.parse(yaml: "name: closed\nrules:\n  authorization: []\n", file: "c.yaml")
        XCTAssertEqual(profile.authorization, [])
    }

    // MARK: errors: position, problem, hint

    func testUnknownTopLevelKeySuggestsTheNearMiss() {
        assertOneError("name: x\nextend: eventgrid\n", line: 2, column: 1, problem: "unknown key `extend`",
                       hint: "did you mean `extends`?")
    }

    func testUnknownRuleSuggestsTheNearMiss() {
        assertOneError("name: x\nrules:\n  maximum-qos: 1\n  maximum-keepalive: 30\n", line: 4, column: 3,
                       problem: "unknown key `maximum-keepalive`", hint: "did you mean `maximum-keep-alive`?")
    }

    func testWrongTypes() {
        assertOneError("name: x\nrules:\n  requires-tls: yes\n", line: 3, column: 17, problem: "must be true or false")
        assertOneError("name: x\nrules:\n  topic-alias-maximum: ten\n", line: 3, column: 24, problem: "whole number")
        assertOneError("name: x\nrules:\n  topic-alias-maximum: 70000\n", line: 3, column: 24, problem: "0 to 65535")
        assertOneError("name: x\nrules:\n  protocol-versions: 5\n", line: 3, column: 22, problem: "must be a list")
        assertOneError("name: [x]\n", line: 1, column: 7, problem: "`name` must be a non-empty string")
        assertOneError("- name: x\n", line: 1, column: 1, problem: "a profile must be a mapping")
    }

    func testBadValuesWithTheirHints() {
        assertOneError("name: x\nrules:\n  maximum-qos: 3\n", line: 3, column: 16, problem: "must be one of 0, 1, 2")
        assertOneError("name: x\nrules:\n  takeover: refuse-newer\n", line: 3, column: 13, problem: "must be one of",
                       hint: "did you mean `refuse-new`?")
        assertOneError("name: x\nrules:\n  maximum-packet-size: 512 KB!\n", line: 3, column: 24, problem: "size in bytes",
                       hint: "512 KiB")
        assertOneError("name: x\nrules:\n  maximum-packet-size: 5 GiB\n", line: 3, column: 24, problem: "size in bytes")
        assertOneError("name: x\nrules:\n  maximum-keep-alive: 19h\n", line: 3, column: 23, problem: "must be a duration",
                       hint: "at most 65535 s")
        assertOneError("name: x\nrules:\n  maximum-keep-alive: 1.5\n", line: 3, column: 23, problem: "whole seconds")
        assertOneError("name: x\nrules:\n  maximum-keep-alive: ~\n", line: 3, column: 23, problem: "must be a duration")
        assertOneError("name: x\nextends: eventgird\n", line: 2, column: 10, problem: "names no built-in profile",
                       hint: "did you mean `eventgrid`?")
        assertOneError("name: x\nrules:\n  lockout: { failures: 0, window: 1s, duration: 1s }\n", line: 3, column: 24,
                       problem: "`failures` must be a whole number from 1")
        assertOneError("name: x\nrules:\n  lockout: { failures: 3, window: 1s }\n", line: 3, column: 12,
                       problem: "`lockout` is missing `duration`")
        assertOneError("name: x\nrules:\n  iot-hub: { device-keys: { d1: \"not base64!\" } }\n", line: 3, column: 33,
                       problem: "not base64")
    }

    func testAuthorizationTemplatesAreChecked() {
        assertOneError("name: x\nrules:\n  authorization:\n    - { topic: \"a/${client.name}/#\", actions: [publish] }\n",
                       line: 4, column: 16, problem: "not a topic filter template", hint: "${client.authenticationName}")
        assertOneError("name: x\nrules:\n  authorization:\n    - { topic: \"a/#/b\", actions: [publish] }\n",
                       line: 4, column: 16, problem: "not a topic filter template")
        assertOneError("name: x\nrules:\n  authorization:\n    - { topic: \"a/#\", actions: [publish, read] }\n",
                       line: 4, column: 42, problem: "an action must be one of publish, subscribe")
        assertOneError("name: x\nrules:\n  authorization:\n    - { topic: \"a/#\" }\n", line: 4, column: 7,
                       problem: "a grant is missing `actions`")
        assertOneError("name: x\nrules:\n  authorization: everyone\n", line: 3, column: 18,
                       problem: "`allow-all` or a list of grants")
    }

    func testTheValueAndSourceForm() {
        assertOneError("name: x\nrules:\n  maximum-qos: { source: \"seed 003\" }\n", line: 3, column: 16,
                       problem: "rule `maximum-qos` is missing `value`")
        assertOneError("name: x\nrules:\n  maximum-qos: { value: 1, sauce: \"seed 003\" }\n", line: 3, column: 28,
                       problem: "unknown key `sauce`", hint: "did you mean `source`?")
    }

    func testEveryProblemIsReportedInOnePassInFileOrder() {
        let found = errors("name: x\nrules:\n  maximum-qos: 5\n  takeover: nope\n  bogus: 1\n")
        XCTAssertEqual(found.map(\.line), [3, 4, 5])
        XCTAssertEqual(ProfileErrors(found).description.split(separator: "\n").count, 3)
        XCTAssertTrue(found[0].description.hasPrefix("my.yaml:3:16: error: "), found[0].description)
    }

    func testSyntaxErrorsAndEmptyFiles() {
        let syntax = errors("name: x\nrules: {maximum-qos: 1\n")
        XCTAssertEqual(syntax.count, 1)
        XCTAssertTrue(syntax.first?.problem.hasPrefix("YAML syntax error") ?? false, syntax.description)
        XCTAssertEqual(errors("").first?.problem, "the profile file is empty")
        XCTAssertEqual(errors("name: x\nname: y\n").first?.problem, "duplicate key `name`")
        XCTAssertEqual(errors("summary: s\n").first?.problem, "the profile is missing `name`")
    }

    func testUnknownBuiltInAndMissingFile() {
        XCTAssertThrowsError(try ProfileLoader.builtIn(named: "iot-hub")) { error in
            XCTAssertEqual((error as? ProfileErrors)?.errors.first?.hint, "did you mean `iothub`?")
        }
        XCTAssertThrowsError(try ProfileLoader.load(path: "/nonexistent/profile.yaml")) { error in
            let first = (error as? ProfileErrors)?.errors.first
            XCTAssertEqual(first?.file, "/nonexistent/profile.yaml")
            XCTAssertTrue(first?.problem.hasPrefix("cannot read profile file") ?? false)
        }
    }

    func testLoadReadsAUserFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).yaml").path
        try "name: strict-hub\nextends: iothub\nrules:\n  maximum-keep-alive: 1767\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let profile = try ProfileLoader.load(path: path)
        XCTAssertEqual(profile.name, "strict-hub")
        XCTAssertEqual(profile.maximumKeepAlive, 1767)
        XCTAssertEqual(profile.authentication, .iotHub)
        XCTAssertEqual(profile.sources["maximum-keep-alive"], "\(path):4")
    }
}
