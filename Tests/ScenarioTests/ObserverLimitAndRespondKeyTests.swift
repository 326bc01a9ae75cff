import Scenario
import XCTest

/// The observers are held to the broker family's QoS as the devices are, and `respond:` rules name their
/// filter `filter`, since YAML 1.1 tools read a bare `on` as true.
final class ObserverLimitAndRespondKeyTests: XCTestCase {
    private func observer(_ lines: String, broker: String = "  url: lab:eventgrid") -> String {
        scenario().replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: broker) + "observer:\n" + lines
    }

    func testAnObserverAtQoS2IsRefusedOnEventGrid() {
        let yaml = observer("  qos: 2\n")
        assertSingleError(yaml, line: 11, column: 8, mentions: "`qos` 2 is above azure-event-grid's maximum QoS (1)",
                          hint: "allowed values: 0, 1")
    }

    func testAnObserverListenerOfItsOwnTakesTheDevicesBrokerFamily() {
        let yaml = observer("  qos: 2\n  broker: { url: \"mqtts://broker.example:8884\" }\n",
                            broker: "  url: mqtts://broker.example:8883\n  profile: azure-event-grid")
        assertSingleError(yaml, line: 12, column: 8, mentions: "above azure-event-grid's maximum QoS",
                          options: ScenarioLoader.Options(checkCertificateFiles: false))
    }

    func testAnObserverAtQoS2IsAcceptedWhereTheFileBreaksLimitsOnPurpose() throws {
        let plan = try loadPlan(observer("  qos: 2\n", broker: "  url: lab:eventgrid\n  check-limits: false"))
        XCTAssertEqual(plan.observer.qos, 2)
        XCTAssertEqual(try loadPlan(observer("  qos: 2\n", broker: "  url: mqtt://127.0.0.1:1883")).observer.qos, 2)
    }

    func testRespondOnIsRefusedNamingFilter() {
        let yaml = scenario(group: [
            #"subscribe: ["devices/{clientId}/cmd"]"#,
            #"respond: [{ on: "devices/{clientId}/cmd", topic: "devices/{clientId}/ack" }]"#,
        ])
        assertSingleError(yaml, at: "on:", mentions: "unknown key `on` in a response", hint: "did you mean `filter`?")
    }

    func testRespondOnStillHasItsOtherFieldsChecked() {
        let yaml = scenario(group: [
            #"subscribe: ["devices/{clientId}/cmd"]"#,
            #"respond: [{ on: "devices/{clientId}/other", topic: "devices/+/ack" }]"#,
        ])
        let problems = scenarioErrors(yaml).map(\.problem)
        XCTAssertEqual(problems.count, 3, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("matches none of the group's subscriptions") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("wildcard") }, "\(problems)")
    }
}
