import Scenario
import XCTest

/// A message that can never fit the device's own packet buffer is refused at load time, naming the message,
/// its smallest size and the buffer; one that may fit (or always does) loads.
final class PacketBufferLoadTests: XCTestCase {
    func testTelemetryOverPubSubClientsBufferIsRefusedWhereItIsWritten() {
        // PubSubClient: 256-byte buffer, QoS 0. Topic length field 2 + "t/test-01" 9 + 300 fill = 311 remaining,
        // plus the type byte and a 2-byte remaining length ⇒ at least 314.
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, payload: "{fill:300}" }"#],
                            personality: "pubsubclient")
        let error = assertSingleError(yaml, line: 9, column: 16, mentions: "telemetry PUBLISH is at least 314 bytes",
                                      hint: "max-packet-size")
        XCTAssertTrue(error?.problem.contains("256-byte packet buffer of pubsubclient") == true, "\(String(describing: error))")
    }

    func testABirthOverARaisedBufferIsRefusedToo() {
        let yaml = scenario(group: ["max-packet-size: 64",
                                    "birth: { topic: \"status/{clientId}\", payload: \"" + String(repeating: "x", count: 64) + "\", qos: 1 }"],
                            personality: "esp-mqtt")
        assertSingleError(yaml, line: 10, column: 12, mentions: "birth PUBLISH is at least")
    }

    func testMessagesThatMayFitLoad() throws {
        // Placeholders count one byte each at least, so a payload of sequence and timestamp may fit 256 bytes.
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, payload: "{sequence}{timestamp}{fill:200}" }"#],
                            personality: "pubsubclient")
        XCTAssertNotNil(try loadPlan(yaml).groups.first?.telemetry)
    }

    func testABrokersLimitIsLeftToTheBroker() throws {
        // A custom device has MQTT's own buffer: only the broker can refuse a 600 KiB frame, which is a scenario
        // of its own (eventgrid-packet-too-large).
        let yaml = scenario(group: [#"telemetry: { topic: "t/{clientId}", every: 1s, payload: "{fill:600KiB}" }"#],
                            personality: "custom")
        XCTAssertNotNil(try loadPlan(yaml).groups.first?.telemetry)
    }
}
