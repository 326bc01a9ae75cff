import Scenario
import XCTest

/// `timeouts:` in a group: each personality's waits by default, any subset overridden, strict values.
final class GroupTimeoutsParsingTests: XCTestCase {
    private func timeouts(_ personality: String?, _ extras: [String] = []) throws -> DeviceTimeouts {
        try XCTUnwrap(loadPlan(scenario(group: extras, personality: personality)).groups.first).timeouts
    }

    func testEachPersonalityWaitsAsItsLibrary() throws {
        XCTAssertEqual(try timeouts("pubsubclient"), DeviceTimeouts(
            connAck: .seconds(15), subAck: .seconds(15), publishAck: .seconds(15), pingResp: .seconds(15)))
        XCTAssertEqual(try timeouts("esp-mqtt"), DeviceTimeouts(
            connAck: .seconds(10), subAck: .seconds(30), publishAck: .seconds(30), pingResp: .seconds(60)))
        XCTAssertEqual(try timeouts("nanoframework"), DeviceTimeouts(
            connAck: .seconds(30), subAck: .seconds(30), publishAck: .seconds(30), pingResp: .seconds(60)))
        XCTAssertEqual(try timeouts("custom"), DeviceTimeouts(
            connAck: .seconds(30), subAck: .seconds(30), publishAck: .seconds(30), pingResp: .seconds(30)))
        XCTAssertEqual(try timeouts(nil), Personality.custom.defaults.timeouts, "custom is the default personality")
    }

    func testOneOverrideKeepsTheOtherDefaults() throws {
        var expected = Personality.espMqtt.defaults.timeouts
        expected.publishAck = .milliseconds(2500)
        XCTAssertEqual(try timeouts("esp-mqtt", ["timeouts: { puback: 2.5s }"]), expected)
    }

    func testAllFourOverride() throws {
        XCTAssertEqual(try timeouts("pubsubclient", ["timeouts: { connack: 10s, suback: 10s, puback: 20s, pingresp: 5s }"]),
                       DeviceTimeouts(connAck: .seconds(10), subAck: .seconds(10), publishAck: .seconds(20),
                                      pingResp: .seconds(5)))
        XCTAssertEqual(try timeouts("custom", ["timeouts: {}"]), Personality.custom.defaults.timeouts)
    }

    func testPingRespFollowsTheGroupKeepAlive() throws {
        XCTAssertEqual(try timeouts("esp-mqtt", ["keepalive: 10s"]).pingResp, .seconds(5), "esp-mqtt: half the keep-alive")
        XCTAssertEqual(try timeouts("pubsubclient", ["keepalive: 40s"]).pingResp, .seconds(40), "PubSubClient: one period")
        XCTAssertEqual(try timeouts("nanoframework", ["keepalive: 0s"]).pingResp, .seconds(60),
                       "no keep-alive, no ping: the default stands")
        XCTAssertEqual(try timeouts("esp-mqtt", ["keepalive: 10s", "timeouts: { pingresp: 9s }"]).pingResp, .seconds(9),
                       "the file's pingresp wins over the keep-alive's share")
        XCTAssertEqual(try timeouts("esp-mqtt", ["keepalive: 10s"]).connAck, .seconds(10), "only pingresp follows")
    }

    func testUnknownKeyIsLocatedWithASuggestion() {
        let yaml = scenario(group: ["timeouts: { connack: 5s, pubrec: 10s }"])
        assertSingleError(yaml, at: "pubrec", mentions: "unknown key `pubrec` in timeouts", hint: "puback")
    }

    func testZeroIsRejected() {
        let yaml = scenario(group: ["timeouts: { suback: 0s }"])
        assertSingleError(yaml, at: "0s", mentions: "`timeouts.suback` must be longer than 0s", hint: "positive duration")
    }

    func testNegativeIsRejected() {
        let yaml = scenario(group: ["timeouts: { puback: -5s }"])
        assertSingleError(yaml, at: "-5s", mentions: "`timeouts.puback` `-5s` is negative", hint: "positive duration")
    }

    func testLongerThanAnHourIsRejected() {
        let yaml = scenario(group: ["timeouts: { pingresp: 61m }"])
        assertSingleError(yaml, at: "61m", mentions: "`timeouts.pingresp` 61m is longer than 1h", hint: "at most 1h")
        XCTAssertEqual(try timeouts("custom", ["timeouts: { pingresp: 1h }"]).pingResp, .seconds(3600), "1h itself is allowed")
    }

    func testValueWithoutUnitIsRejected() {
        let yaml = scenario(group: ["timeouts: { connack: 10 }"])
        assertSingleError(yaml, at: "10 }", mentions: "`timeouts.connack` `10` has no unit", hint: "500ms, 2s")
    }

    func testTimeoutsMustBeAMapping() {
        let yaml = scenario(group: ["timeouts: 10s"])
        assertSingleError(yaml, at: "10s", mentions: "timeouts must be a mapping", hint: "connack, suback, puback, pingresp")
    }

    func testEveryErrorIsReported() {
        let errors = scenarioErrors(scenario(group: ["timeouts: { connack: 0s, suback: 2h, pingresp: soon }"]))
        XCTAssertEqual(errors.count, 3, errors.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(errors.allSatisfy { $0.line == 8 && $0.hint != nil }, errors.map(\.description).joined(separator: "\n"))
    }

    func testPlansBuiltInCodeGetThePersonalityTimeouts() throws {
        let group = DeviceGroupPlan(
            name: "g", count: 1, clientIDPattern: Template(literal: "g"), personality: .espMqtt, protocolVersion: .v3_1_1,
            keepAlive: .seconds(20), cleanStart: true, sessionExpiry: nil, credentials: .none, telemetry: nil,
            subscribe: [], will: nil, birth: nil, retry: RetryPolicy(backoff: .immediate), bootDelay: .zero,
            maxPacketSize: 1024, location: SourceLocation(file: "code", line: 1, column: 1))
        XCTAssertEqual(group.timeouts.connAck, .seconds(10))
        XCTAssertEqual(group.timeouts.pingResp, .seconds(10))
    }
}
