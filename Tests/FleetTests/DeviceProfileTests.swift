import MQTTCore
import Scenario
import XCTest

@testable import Fleet

/// A group's telemetry properties are worked out once and keep the file's order on the wire.
final class DeviceProfileTests: XCTestCase {
    private func profile(properties: String, protocolLine: String = "") throws -> DeviceProfile {
        let plan = try ScenarioLoader.parse(yaml: """
            name: profile
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: g
                count: 1
                client-id: "p-{index}"
                personality: custom
                telemetry: { topic: "t/{clientId}", every: 1s, content-type: text/plain, user-properties: \(properties) }
            timeline:
              - { at: 0s, ramp: { over: 1s } }
            """, path: "profile.yaml")
        return DeviceProfile(group: plan.groups[0])
    }

    func testConstantUserPropertiesAreBuiltOnceInFileOrder() throws {
        let profile = try profile(properties: "{ zone: b, site: a }")
        XCTAssertEqual(profile.telemetryProperties.userProperties.map(\.name), ["zone", "site"])
        XCTAssertEqual(profile.telemetryProperties.userProperties.map(\.value), ["b", "a"])
        XCTAssertTrue(profile.telemetryUserProperties.isEmpty)
        XCTAssertFalse(profile.telemetryUsesTimestamp)
    }

    func testOnePerMessagePropertyRendersThemAllPerMessageInFileOrder() throws {
        let profile = try profile(properties: #"{ zone: b, sent-at: "{timestamp}", device: "{clientId}" }"#)
        XCTAssertEqual(profile.telemetryProperties.userProperties.count, 0, "none ahead of the file's first")
        XCTAssertEqual(profile.telemetryProperties.contentType, "text/plain")
        XCTAssertEqual(profile.telemetryUserProperties.map(\.name), ["zone", "sent-at", "device"])
        XCTAssertTrue(profile.telemetryUsesTimestamp, "the property needs the wall clock though the payload does not")
    }
}
