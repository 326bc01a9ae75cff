import Scenario
import XCTest

/// A group's `twin:` and `expect.iothub.twin-answered`, with the loader's errors.
final class TwinParsingTests: XCTestCase {
    private let noFileChecks = ScenarioLoader.Options(checkCertificateFiles: false)

    private func hub(_ extras: [String], subscribe: String = #"["$iothub/twin/res/#"]"#, expect: String = "") -> String {
        iotHubDevices(extras, subscribe: subscribe, expect: expect)
    }

    func testTwinReadsOnConnectAndReportsEvery() throws {
        let plan = try loadPlan(hub([
            #"twin: { get: on-connect, report: { every: 30s, payload: '{"firmware":"1.2","n":{sequence}}' }, qos: 1 }"#,
        ], expect: "expect:\n  iothub: { twin-answered: all }\n"), options: noFileChecks)
        let twin = try XCTUnwrap(plan.groups.first?.twin)
        XCTAssertTrue(twin.getOnConnect)
        XCTAssertEqual(twin.qos, 1)
        XCTAssertEqual(twin.report?.every, .seconds(30))
        XCTAssertEqual(twin.report?.payload, Template(parts: [.text(#"{"firmware":"1.2","n":"#), .sequence, .text("}")]))
        XCTAssertEqual(plan.expectations.iotHub?.twinAnswered, .all)
    }

    func testDefaultsAreAGetOnConnectAtQoS0() throws {
        let plan = try loadPlan(hub(["twin: {}"]), options: noFileChecks)
        XCTAssertEqual(plan.groups.first?.twin, TwinSpec(getOnConnect: true, report: nil, qos: 0))
        let reportOnly = try loadPlan(hub([#"twin: { get: never, report: { payload: '{}' } }"#]), options: noFileChecks)
        XCTAssertEqual(reportOnly.groups.first?.twin?.report, TwinReportSpec(payload: Template(literal: "{}"), every: nil))
    }

    func testTheGroupMustSubscribeToTheResponses() {
        assertSingleError(hub(["twin: { get: on-connect }"], subscribe: #"["$iothub/methods/POST/#"]"#), at: "{ get: on-connect }",
                          mentions: "the hub answers twin requests on $iothub/twin/res/#, which the group does not subscribe to",
                          hint: #"add "$iothub/twin/res/#" to `subscribe:`"#, options: noFileChecks)
    }

    func testMistakes() {
        assertSingleError(hub(["twin: { get: always }"]), at: "always", mentions: "unknown get `always`",
                          hint: "on-connect, never", options: noFileChecks)
        assertSingleError(hub(["twin: { get: never }"]), at: "{ get: never }", mentions: "`twin` sends nothing", options: noFileChecks)
        assertSingleError(hub(["twin: { report: { every: 30s } }"]), at: "{ every: 30s }", mentions: "`payload`",
                          options: noFileChecks)
        assertSingleError(hub([#"twin: { report: { payload: '{}', every: 0s } }"#]), at: "0s", mentions: "`every`",
                          options: noFileChecks)
        assertSingleError(hub(["twin: { qos: 2 }"]), at: "2 }", mentions: "`qos` 2", options: noFileChecks)
        assertSingleError(hub(["twin: { gets: never }"]), at: "gets", mentions: "unknown key `gets`", hint: "get",
                          options: noFileChecks)
    }
}
