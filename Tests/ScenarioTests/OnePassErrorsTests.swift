import Scenario
import XCTest

/// A file's independent errors come in one load, as the Scenarios README promises ("every error found"): a
/// wrong field does not hide the next one in its group or step, a group whose count is wrong is still read to
/// its end, and a step aimed at such a group says nothing about it rather than calling it unknown.
final class OnePassErrorsTests: XCTestCase {
    private let file = """
        name: many-errors
        broker:
          url: lab:eventgrid
          conect-timeout: 5s
        groups:
          - name: sensors
            count: many
            keepalve: 30s
            telemetry: { topic: "devices/{clientId}/t", every: 2s, qos: 2 }
          - name: actuators
            count: 5
            client-id: "act-{index}"
            subscribe: ["devices/{clientId}/cmd"]
            respond:
              - { on: "devices/{clientId}/cmd", topic: "devices/{clientId}/ack", qos: 3 }
            will: { topic: "devices/{clientId}/status", retain: true }
        timeline:
          - { at: 0s, ramp: { group: sensors, over: 5s } }
          - { at: 10s, disconnect: { group: actuators, select: 9, mode: sudden } }
          - { at: 5s, burst: { group: actuators, count: 0 } }
          - { at: 20s, throttle: { select: 2, bandwidth: 2kbit/s } }
          - { stop: graceful }
        observer:
          qos: 2

        """

    func testEveryIndependentErrorComesInOneLoad() {
        let errors = scenarioErrors(file, options: ScenarioLoader.Options(checkCertificateFiles: false))
        let expected: [(needle: String, mentions: String)] = [
            ("conect-timeout", "unknown key `conect-timeout`"),
            ("count: many", "`count` must be a whole number"),
            ("keepalve", "unknown key `keepalve`"),
            ("2 }", "above azure-event-grid's maximum QoS"),
            ("{ on:", "unknown key `on`"),
            ("3 }", "not a valid QoS"),
            ("true }", "does not support retained messages"),
            ("9,", "more than the 5 devices"),
            ("sudden", "disconnect mode"),
            ("5s, burst", "comes before the previous step's"),
            ("burst: {", "which has no `telemetry` to send"),
            ("0 } }", "`count` is 0"),
            ("{ select: 2, bandwidth", "missing `for`"),
            ("  qos: 2", "above azure-event-grid's maximum QoS"),
        ]
        XCTAssertEqual(errors.count, expected.count, errors.map(\.description).joined(separator: "\n"))
        for (needle, mentions) in expected {
            let at = position(of: needle, in: file)
            let found = errors.first { $0.line == at.line && $0.problem.contains(mentions) }
            XCTAssertNotNil(found, "no error at line \(at.line) mentioning `\(mentions)` in:\n"
                                + errors.map(\.description).joined(separator: "\n"))
        }
        XCTAssertFalse(errors.contains { $0.problem.contains("unknown group") },
                       "a step aimed at a group whose definition failed says nothing about it")
    }

    func testASelectionOverTheFleetIsNotCountedWithoutAGroupThatFailed() {
        let yaml = scenario(steps: ["{ at: 1s, disconnect: { select: 15, mode: abrupt } }"])
            .replacingOccurrences(of: "groups:\n", with: "groups:\n  - { name: others, count: -1 }\n")
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.count, 1, "15 may well fit the fleet once `others` has its devices: \(errors)")
        XCTAssertTrue(errors.first?.problem.contains("`count` is -1") == true, "\(errors)")
    }

    func testABrokerWithAWrongURLStillHasItsOtherSettingsChecked() {
        let yaml = scenario().replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: """
              url: mqtt//127.0.0.1:1883
              profile: azur-event-grid
              connect-timeout: 5
              source-addresses: [127.0.0.300]
            """)
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.map(\.line), [3, 4, 5, 6], errors.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(errors.dropFirst().first?.hint?.hasPrefix("did you mean `azure-event-grid`?") == true, "\(errors)")
    }

    func testAGroupWhosePartFailedIsNotToldItLacksThatPart() {
        let yaml = scenario(group: [#"telemetry: { topic: "devices/+/t", every: 0s, qos: 1 }"#,
                                    #"subscribe: [{ filter: "cmd/{clientId}", qos: 7 }]"#,
                                    #"respond: [{ filter: "cmd/{clientId}", topic: "ack/{clientId}" }]"#],
                            steps: ["{ at: 1s, burst: { count: 3 } }"])
        let problems = scenarioErrors(yaml).map(\.problem)
        XCTAssertEqual(problems.count, 3, "the topic, `every` and the QoS; no burst or respond error: \(problems)")
        XCTAssertFalse(problems.contains { $0.contains("no `telemetry`") || $0.contains("matches none") }, "\(problems)")
    }

    func testAWrongStepTimeStillChecksItsAction() {
        let yaml = scenario(steps: ["{ at: soon, disconnect: { mode: sudden } }"])
        let errors = scenarioErrors(yaml)
        XCTAssertEqual(errors.count, 2, errors.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(errors.contains { $0.problem.contains("sudden") }, "\(errors)")
    }
}
