import Foundation
import Scenario
import XCTest

/// `sessions:`, `session-id:` and `authentication-name:`: how a group's identities expand into sessions,
/// the Event Grid username default, and the loader's errors.
final class SessionParsingTests: XCTestCase {
    /// Two identities `app-1`, `app-2` with certificates on `broker`; `extras` are appended to the group from
    /// line 8.
    private func sessionScenario(_ extras: [String], broker: String = "lab:eventgrid") -> String {
        ([
            "name: sessions",
            "broker: \(broker)",
            "groups:",
            "  - name: apps",
            "    count: 2",
            "    client-id: \"app-{index}\"",
            "    credentials: { certificates: certs }",
        ] + extras.map { "    " + $0 } + [
            "timeline:",
            "  - { at: 0s, ramp: { over: 1s } }",
        ]).joined(separator: "\n") + "\n"
    }

    private let options = ScenarioLoader.Options(checkCertificateFiles: false)

    func testEachIdentityExpandsIntoItsSessionsSharingCertificateAndUsername() throws {
        let plan = try loadPlan(sessionScenario([
            "sessions: 3", #"telemetry: { topic: "devices/app-{index}/{clientId}/t", every: 1s, qos: 1 }"#,
        ]), options: options)
        XCTAssertEqual(plan.deviceCount, 6)
        let devices = plan.devices()
        XCTAssertEqual(devices.map(\.clientID), ["app-1-session-1", "app-1-session-2", "app-1-session-3",
                                                  "app-2-session-1", "app-2-session-2", "app-2-session-3"])
        XCTAssertEqual(devices.map(\.index), [1, 1, 1, 2, 2, 2], "{index} is the identity's")
        XCTAssertEqual(devices.map(\.authenticationName), ["app-1", "app-1", "app-1", "app-2", "app-2", "app-2"])
        XCTAssertEqual(devices.map(\.ordinal), Array(0..<6))
        XCTAssertEqual(devices[4].telemetry?.topic, "devices/app-2/app-2-session-2/t")
        for device in devices {
            guard case .certificate(let files, let username) = device.credentials else { return XCTFail("no certificate") }
            XCTAssertEqual(username, device.authenticationName, "Event Grid: the username is the authentication name")
            XCTAssertEqual(files.chain, "certs/devices/\(device.authenticationName ?? "?")/chain.pem")
        }
    }

    func testASessionIDTemplateNamesTheSessions() throws {
        let plan = try loadPlan(sessionScenario(["sessions: 2", #"session-id: "{group}.{clientId}.s{session}""#]),
                                options: options)
        XCTAssertEqual(plan.devices().map(\.clientID), ["apps.app-1.s1", "apps.app-1.s2", "apps.app-2.s1", "apps.app-2.s2"])
    }

    func testWithoutSessionsNothingChangesButTheEventGridUsername() throws {
        let devices = try loadPlan(sessionScenario([]), options: options).devices()
        XCTAssertEqual(devices.map(\.clientID), ["app-1", "app-2"])
        XCTAssertEqual(devices.map(\.authenticationName), [nil, nil])
        guard case .certificate(_, let username) = devices[1].credentials else { return XCTFail("no certificate") }
        XCTAssertEqual(username, "app-2")

        let mosquitto = try loadPlan(sessionScenario(["sessions: 2"], broker: "mqtts://127.0.0.1:8883"), options: options)
        guard case .certificate(_, let none) = mosquitto.devices()[0].credentials else { return XCTFail("no certificate") }
        XCTAssertNil(none, "only Event Grid gets a username it was not given")
    }

    func testAGivenAuthenticationNameIsTheUsernameOnARealNamespace() throws {
        let plan = try loadPlan(sessionScenario(["sessions: 2", #"authentication-name: "plant-7-app-{index}""#],
                                                broker: "{ url: \"mqtts://ns.westeurope-1.ts.eventgrid.azure.net\", profile: azure-event-grid }"),
                                options: options)
        let device = plan.devices()[3]
        XCTAssertEqual(device.authenticationName, "plant-7-app-2")
        guard case .certificate(let files, let username) = device.credentials else { return XCTFail("no certificate") }
        XCTAssertEqual(username, "plant-7-app-2")
        XCTAssertEqual(files.key, "certs/devices/app-2/key.pem", "the identity's own files")
    }

    func testAUsernameThatIsNotTheAuthenticationNameIsRefusedAtLoad() {
        let yaml = sessionScenario(["sessions: 2"]).replacingOccurrences(
            of: "{ certificates: certs }", with: #"{ certificates: certs, username: "{clientId}" }"#)
        assertSingleError(yaml, line: 7, column: 18, mentions: "username `app-1-session-1` is not the authentication name `app-1`",
                          hint: "remove `username`", options: options)
    }

    func testTheLoaderRefusesWhatEventGridWouldRefuse() {
        assertSingleError(sessionScenario(["sessions: 4"]), line: 8, column: 15,
                          mentions: "`sessions` 4 is more than the 3 sessions per authentication name", options: options)
        assertSingleError(sessionScenario(["sessions: 2", #"session-id: "{clientId}-a""#]), line: 9, column: 17,
                          mentions: "`session-id` has no {session}", options: options)
        assertSingleError(sessionScenario([#"session-id: "{clientId}-{session}""#]), line: 8, column: 17,
                          mentions: "`session-id` without `sessions`", options: options)
        assertSingleError(sessionScenario(["sessions: 2", #"session-id: "{clientID}-{session}""#]), line: 9, column: 17,
                          mentions: "`session-id`: unknown placeholder `{clientID}`", hint: "did you mean `{clientId}`?",
                          options: options)
        assertSingleError(sessionScenario([#"authentication-name: "{clientId}""#]), line: 8, column: 26,
                          mentions: "`authentication-name` cannot use {clientId}", options: options)
        assertSingleError(sessionScenario([#"authentication-name: "name-{index}""#]), line: 8, column: 26,
                          mentions: "lab:eventgrid takes the authentication name from the certificate's CN", options: options)
        assertSingleError(sessionScenario(["sessions: 0"]), line: 8, column: 15, mentions: "sessions", options: options)
    }
}
