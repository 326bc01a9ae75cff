import Foundation
import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// The statistics count the clients that broke a limit the broker announced in CONNACK (Receive Maximum,
/// Maximum Packet Size), so a test of a client can assert from the broker that it never did — and such an
/// assertion fails when one does (these tests are its control).
final class ViolationCounterTests: XCTestCase {
    private static var constrained: BrokerProfile {
        var profile = BrokerProfile()
        profile.receiveMaximum = 2
        profile.maximumPacketSize = 256
        return profile
    }

    func testAThirdUnreleasedQoS2PublishIsCountedAndOneWithinTheWindowIsNot() {
        let harness = EngineHarness(profile: Self.constrained)
        let polite = harness.connected("polite")
        for id: UInt16 in 1...6 {
            harness.publish("t", "\(id)", qos: .exactlyOnce, id: id, on: polite)
            harness.send(.pubrel(PublishAckPacket(packetIdentifier: id)), on: polite)
        }
        XCTAssertFalse(harness.isClosed(polite))
        XCTAssertEqual(harness.engine.statistics.receiveMaximumExceeded, 0)

        let eager = harness.connected("eager")
        for id: UInt16 in 1...3 { harness.publish("t", "\(id)", qos: .exactlyOnce, id: id, on: eager) }
        XCTAssertTrue(harness.isClosed(eager))
        XCTAssertEqual(harness.engine.statistics.receiveMaximumExceeded, 1)
        XCTAssertEqual(harness.engine.statistics.packetsTooLarge, 0)
    }

    func testOversizedPacketsAreCountedWhereverTheyAreCaught() {
        let harness = EngineHarness(profile: Self.constrained)
        let fits = harness.connected("fits")
        harness.publish("t", String(repeating: "x", count: 200), qos: .atLeastOnce, id: 1, on: fits)
        XCTAssertFalse(harness.isClosed(fits))
        XCTAssertEqual(harness.engine.statistics.packetsTooLarge, 0)

        let large = harness.connected("large")
        harness.publish("t", String(repeating: "x", count: 300), qos: .atLeastOnce, id: 1, on: large)
        XCTAssertTrue(harness.isClosed(large))
        XCTAssertEqual(harness.engine.statistics.packetsTooLarge, 1, "a PUBLISH the engine measured")

        let framed = harness.connected("framed")
        var actions: [BrokerAction] = []
        harness.engine.framingFailed(MQTTDecodeError(kind: .packetTooLarge(size: 300, maximum: 256), packetType: .publish,
                                                     offset: 0, bytes: []),
                                     on: framed, now: harness.now, into: &actions)
        XCTAssertEqual(harness.engine.statistics.packetsTooLarge, 2, "a packet the server's framer refused")

        let connect = harness.open()
        harness.send(.connect(ConnectPacket(clientIdentifier: String(repeating: "c", count: 300))), on: connect)
        XCTAssertTrue(harness.isClosed(connect))
        XCTAssertEqual(harness.engine.statistics.packetsTooLarge, 3, "a CONNECT")
        XCTAssertEqual(harness.engine.statistics.receiveMaximumExceeded, 0)
    }

    /// The same count on the real server: three QoS 2 PUBLISHes written at once, without waiting for a PUBREC.
    func testTheServerCountsAClientThatIgnoresTheAnnouncedWindow() async throws {
        let server = try await startServer(self, profile: Self.constrained)
        let client = try await RawClient.connect(port: try server.listener(.tcp).port)
        try await client.send(.connect(ConnectPacket(clientIdentifier: "eager")))
        let connack = await client.packets { $0.count >= 1 }
        guard case .connack(let answer)? = connack.first else { return XCTFail("no CONNACK: \(connack)") }
        XCTAssertEqual(answer.properties.receiveMaximum, 2)
        XCTAssertEqual(answer.properties.maximumPacketSize, 256)
        let burst = (1...3).map { id in
            MQTTPacket.publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "\(id)"), qos: .exactlyOnce,
                                             packetIdentifier: UInt16(id)))
        }
        try await client.channel.writeAndFlush(try encode(burst, version: .v5_0))
        let (bytes, closed) = await client.bytesUntilClosed()
        XCTAssertTrue(closed)
        XCTAssertEqual(decodePackets(bytes, version: .v5_0).last?.disconnectReason, .receiveMaximumExceeded)
        let statistics = await server.statistics()
        XCTAssertEqual(statistics.receiveMaximumExceeded, 1)
        XCTAssertEqual(statistics.packetsTooLarge, 0)
    }
}
