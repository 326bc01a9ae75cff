import Scenario
import XCTest

/// Client-ID patterns, topics and payloads are filled in per device and per message.
final class TemplateTests: XCTestCase {
    private let yaml = """
        broker: { url: "mqtt://127.0.0.1:1883" }
        groups:
          - name: sensors
            count: 12
            client-id: "XiaoTandHandCO2-{index:04}"
            personality: esp-mqtt
            credentials: { username: "{clientId}", password: "" }
            telemetry: { topic: "devices/{clientId}/sequence", every: 2s }
            subscribe: ["devices/{clientId}/configuration", { filter: "fleet/{group}/#", qos: 0 }]
            will: { topic: "devices/{clientId}/status", payload: "{clientId} offline", qos: 1, retain: true }
            birth: { topic: "devices/{clientId}/status", payload: online, retain: true }
          - { name: gw, count: 2, client-id: "{group}-{index}" }
        timeline:
          - { at: 0s, ramp: { over: 5s } }
        """

    func testDevicePlansHaveTheirTemplatesFilledIn() throws {
        let plan = try loadPlan(yaml)
        let devices = plan.devices()
        XCTAssertEqual(devices.count, 14)
        let tenth = devices[9]
        XCTAssertEqual(tenth.clientID, "XiaoTandHandCO2-0010")
        XCTAssertEqual(tenth.index, 10)
        XCTAssertEqual(tenth.ordinal, 9)
        XCTAssertEqual(tenth.telemetry?.topic, "devices/XiaoTandHandCO2-0010/sequence")
        XCTAssertEqual(tenth.subscribe.map(\.filter), ["devices/XiaoTandHandCO2-0010/configuration", "fleet/sensors/#"])
        XCTAssertEqual(tenth.subscribe.map(\.qos), [1, 0])
        XCTAssertEqual(tenth.will?.topic, "devices/XiaoTandHandCO2-0010/status")
        XCTAssertEqual(tenth.will?.payload, "XiaoTandHandCO2-0010 offline")
        XCTAssertEqual(tenth.birth?.payload, "online")
        XCTAssertEqual(tenth.credentials, .usernamePassword(username: "XiaoTandHandCO2-0010", password: ""))
        XCTAssertEqual(devices[12].clientID, "gw-1")
        XCTAssertEqual(devices[13].group, "gw")
    }

    func testDefaultPayloadMatchesTheSeedSamples() throws {
        let device = try XCTUnwrap(loadPlan(yaml).devices().first)
        var generator = SeededGenerator(seed: 1)
        let payload = device.telemetry?.payload.render(sequence: 41, timestampMilliseconds: 0, uptimeMilliseconds: 0,
                                                       random: &generator)
        XCTAssertEqual(payload, #"{"ClientID":"XiaoTandHandCO2-0001","Sequence":41}"#)
    }

    func testPerMessagePlaceholders() throws {
        let plan = try loadPlan(scenario(group: [
            #"telemetry: { topic: "devices/{clientId}/t", every: 1s, payload: '{"t":{timestamp},"up":{uptimeMs},"co2":{random:400-420},"n":{sequence}}' }"#,
        ]))
        let device = try XCTUnwrap(plan.devices().first)
        var generator = SeededGenerator(seed: 5)
        let text = try XCTUnwrap(device.telemetry?.payload.render(
            sequence: 3, timestampMilliseconds: 1_700_000_000_000, uptimeMilliseconds: 1234, random: &generator))
        XCTAssertTrue(text.hasPrefix(#"{"t":1700000000000,"up":1234,"co2":"#), text)
        XCTAssertTrue(text.hasSuffix(#","n":3}"#), text)
        let co2 = try XCTUnwrap(Int(text.split(separator: ":")[3].split(separator: ",")[0]))
        XCTAssertTrue((400...420).contains(co2), "\(co2)")
        var replay = SeededGenerator(seed: 5)
        XCTAssertEqual(device.telemetry?.payload.render(sequence: 3, timestampMilliseconds: 1_700_000_000_000,
                                                        uptimeMilliseconds: 1234, random: &replay), text)
    }

    func testFillGivesAPayloadItsSize() throws {
        let plan = try loadPlan(scenario(group: [
            #"telemetry: { topic: "d/{clientId}", every: 1s, payload: '{"n":{sequence},"frame":"{fill:600KiB}"}' }"#,
        ]))
        let payload = try XCTUnwrap(plan.devices().first?.telemetry?.payload)
        XCTAssertEqual(payload.parts, [.text(#"{"n":"#), .sequence, .text(#","frame":""#), .fill(600 * 1024), .text(#""}"#)])
        XCTAssertEqual(payload.description, #"{"n":{sequence},"frame":"{fill:614400}"}"#)
        var generator = SeededGenerator(seed: 1)
        let text = payload.render(sequence: 3, timestampMilliseconds: 0, uptimeMilliseconds: 0, random: &generator)
        XCTAssertEqual(text.utf8.count, #"{"n":3,"frame":""}"#.utf8.count + 614_400)
        XCTAssertTrue(text.hasPrefix(#"{"n":3,"frame":"xxxx"#))
        for (size, bytes) in [("2048", 2048), ("1MiB", 1 << 20), ("500KB", 500_000), ("1MB", 1_000_000), ("100B", 100)] {
            let parsed = try loadPlan(scenario(group: ["telemetry: { topic: \"d/{clientId}\", every: 1s, payload: '{fill:\(size)}' }"]))
            XCTAssertEqual(parsed.groups.first?.telemetry?.payload.parts, [.fill(bytes)], size)
        }
    }

    func testFillSizesOutsideTheBoundsAreErrors() {
        for bad in ["{fill}", "{fill:0}", "{fill:17MiB}", "{fill:lots}", "{fill:-1}", "{fill:1GiB}"] {
            let yaml = scenario(group: ["telemetry: { topic: \"d/{clientId}\", every: 1s, payload: 'a\(bad)' }"])
            let errors = scenarioErrors(yaml)
            XCTAssertEqual(errors.count, 1, "\(bad): \(errors)")
            XCTAssertTrue(errors.first?.problem.contains("fill") == true, "\(bad): \(errors)")
        }
        let inATopic = scenario(group: ["telemetry: { topic: \"d/{fill:10}\", every: 1s }"])
        XCTAssertTrue(scenarioErrors(inATopic).first?.problem.contains("cannot be used here") == true)
    }

    func testBracesThatAreNotPlaceholdersStayLiteral() throws {
        let plan = try loadPlan(scenario(group: [#"telemetry: { topic: "d/{clientId}", every: 1s, payload: '{"a":{"b":1}}' }"#]))
        XCTAssertEqual(plan.devices().first?.telemetry?.payload.text, #"{"a":{"b":1}}"#)
    }

    func testTemplateDescriptionRoundTrips() {
        let template = Template(parts: [.text("x-"), .index(width: 4), .text("/"), .clientID, .random(1...9)])
        XCTAssertEqual(template.description, "x-{index:04}/{clientId}{random:1-9}")
        XCTAssertEqual(template.binding(clientID: "c", index: 7, group: "g").description, "x-0007/c{random:1-9}")
    }

    func testObserverFiltersDefaultToTheDeviceTopicsWithWildcards() throws {
        let plan = try loadPlan(yaml)
        XCTAssertEqual(plan.observer.filters, ["devices/+/sequence", "devices/+/status"])
        XCTAssertEqual(plan.observer.connections, 1)
        XCTAssertNil(plan.observer.broker)
    }
}
