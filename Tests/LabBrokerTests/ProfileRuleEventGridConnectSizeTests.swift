import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// Event Grid's 512 KiB limit applies to the CONNECT too, in the engine itself and not only in the
/// server's framer in front of it.
final class ProfileRuleEventGridConnectSizeTests: XCTestCase {
    private func eventGrid() throws -> EngineHarness {
        EngineHarness(profile: try shippedProfile("eventgrid"))
    }

    /// The CONNECT is a packet from the client too: one larger than 512 KiB is refused. Only MQTT 5 can
    /// send one (User Properties); a 3.1.1 CONNECT's five 64 KiB fields stay below the limit.
    func testEventGridMaximumPacketSizeAppliesToTheConnect() throws {
        let harness = try eventGrid()
        let big = String(repeating: "u", count: 60_000)
        let properties = MQTTProperties((0..<9).map { _ in MQTTProperty.userProperty("pad", big) })
        let connect = ConnectPacket(clientIdentifier: "big", keepAliveSeconds: 0, properties: properties)
        XCTAssertGreaterThan(MQTTPacket.connect(connect).encodedSize(version: .v5_0), 524_288)
        let id = harness.open(tlsFacts(commonName: "big"))
        harness.send(.connect(connect), on: id, version: .v5_0)
        // Closed unanswered, as the server's framer does (MQTT 5 §4.13.1 also allows a CONNACK 0x95 first).
        let answer = harness.take(id)
        XCTAssertTrue(answer.allSatisfy { $0 == .connack(ConnAckPacket(reasonCode: .packetTooLarge)) }, "\(answer)")
        XCTAssertTrue(harness.isClosed(id))
        XCTAssertEqual(harness.engine.statistics.sessions, 0)
    }
}
