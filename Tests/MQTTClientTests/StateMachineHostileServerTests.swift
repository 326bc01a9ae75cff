import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Whatever a server sends, the connection ends with a typed error (and DISCONNECT 0x81/0x82/…
/// on MQTT 5), never a crash.
final class StateMachineHostileServerTests: XCTestCase {
    private func assertViolation(
        _ action: Action, _ harness: inout StateMachineHarness, code: ReasonCode,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let disconnect: MQTTPacket? =
            harness.version == .v5_0 ? .disconnect(DisconnectPacket(reasonCode: code)) : nil
        XCTAssertEqual(action, .close(writing: disconnect, abrupt: false), file: file, line: line)
        guard case .reportClosed(.failed(.protocolViolation(let violation)), _) = harness.machine.channelInactive() else {
            return XCTFail("not a protocol violation", file: file, line: line)
        }
        XCTAssertEqual(violation.reasonCode, code, file: file, line: line)
    }

    func testMalformedPacketIsReportedWithTheDecodeError() throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            var harness = StateMachineHarness(version: version)
            try harness.connect()
            // PUBLISH with QoS bits 11.
            let action = harness.machine.frameReceived(
                MQTTFrame(type: .publish, flags: 0b0110, body: ByteBuffer(bytes: [0, 1, 0x61])), now: harness.now)
            XCTAssertEqual(
                action,
                .close(
                    writing: version == .v5_0 ? .disconnect(DisconnectPacket(reasonCode: .malformedPacket)) : nil,
                    abrupt: false))
            guard case .reportClosed(.failed(.protocolViolation(let violation)), _) = harness.machine.channelInactive()
            else { return XCTFail("not a protocol violation") }
            XCTAssertEqual(violation.reasonCode, .malformedPacket)
            let decodeError = try XCTUnwrap(violation.decodeError)
            XCTAssertEqual(decodeError.packetType, .publish)
        }
    }

    func testAcknowledgementForUnknownIdentifierIsAProtocolError() throws {
        for packet: MQTTPacket in [
            .puback(PublishAckPacket(packetIdentifier: 42)), .pubrec(PublishAckPacket(packetIdentifier: 42)),
            .pubcomp(PublishAckPacket(packetIdentifier: 42)),
            .suback(SubAckPacket(packetIdentifier: 42, reasonCodes: [.grantedQoS0])),
            .unsuback(UnsubAckPacket(packetIdentifier: 42, reasonCodes: [.success])),
        ] {
            var harness = StateMachineHarness()
            try harness.connect()
            assertViolation(try harness.receive(packet), &harness, code: .protocolError)
        }
    }

    func testPubAckForAQoS2PublishIsAProtocolError() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        _ = try harness.publish("devices/a", qos: .exactlyOnce)
        assertViolation(try harness.receive(.puback(PublishAckPacket(packetIdentifier: 1))), &harness, code: .protocolError)
    }

    func testClientOnlyPacketsAndSecondConnAckAreProtocolErrors() throws {
        for packet: MQTTPacket in [
            .connack(ConnAckPacket()), .pingreq, .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "a")])),
            .unsubscribe(UnsubscribePacket(packetIdentifier: 1, filters: ["a"])),
            .connect(ConnectPacket(clientIdentifier: "x")),
        ] {
            var harness = StateMachineHarness()
            try harness.connect()
            assertViolation(try harness.receive(packet), &harness, code: .protocolError)
        }
    }

    func testPublishBeforeConnAckIsAProtocolError() throws {
        var harness = StateMachineHarness()
        _ = harness.machine.channelActive(now: harness.now)
        assertViolation(
            try harness.receive(.publish(PublishPacket(topic: "a", payload: ByteBuffer()))), &harness, code: .protocolError)
    }

    func testSubAckWithWrongNumberOfCodesIsAProtocolError() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        _ = try harness.machine.subscribe([Subscription(filter: "a"), Subscription(filter: "b")], now: harness.now)
        assertViolation(
            try harness.receive(.suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.grantedQoS0]))), &harness,
            code: .protocolError)
    }

    func testTopicAliasOutsideOurMaximumIsInvalid() throws {
        var harness = StateMachineHarness { $0.topicAliasMaximum = 2 }
        try harness.connect()
        assertViolation(
            try harness.receive(.publish(PublishPacket(topic: "a", payload: ByteBuffer(), properties: [.topicAlias(3)]))),
            &harness, code: .topicAliasInvalid)
    }

    func testUnknownTopicAliasIsAProtocolError() throws {
        var harness = StateMachineHarness { $0.topicAliasMaximum = 2 }
        try harness.connect()
        assertViolation(
            try harness.receive(.publish(PublishPacket(topic: "", payload: ByteBuffer(), properties: [.topicAlias(1)]))),
            &harness, code: .protocolError)
    }

    func testOversizedFrameFromTheDecoderSendsPacketTooLarge() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let decodeError = MQTTDecodeError(
            kind: .packetTooLarge(size: 5000, maximum: 1024), packetType: .publish, offset: 0, bytes: [0x30])
        let violation = MQTTProtocolViolation(
            reasonCode: .packetTooLarge, detail: decodeError.description, decodeError: decodeError)
        assertViolation(harness.machine.errorCaught(.protocolViolation(violation)), &harness, code: .packetTooLarge)
    }

    /// Random frames (seeded): every outcome is an ordinary action; a close always carries a typed reason.
    func testRandomFramesNeverCrash() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        for round in 0..<3000 {
            var harness = StateMachineHarness(version: round % 2 == 0 ? .v5_0 : .v3_1_1) { $0.topicAliasMaximum = 4 }
            try harness.connect()
            _ = try harness.publish("devices/a", qos: .exactlyOnce)
            _ = try harness.machine.subscribe([Subscription(filter: "devices/#")], now: harness.now)
            for _ in 0..<4 {
                let type = try XCTUnwrap(MQTTPacketType(rawValue: UInt8.random(in: 1...15, using: &generator)))
                let length = Int.random(in: 0...12, using: &generator)
                var body = ByteBuffer()
                for _ in 0..<length { body.writeInteger(UInt8.random(in: 0...3, using: &generator)) }
                let flags = UInt8.random(in: 0...15, using: &generator)
                _ = harness.machine.frameReceived(MQTTFrame(type: type, flags: flags, body: body), now: harness.now)
            }
            if case .reportClosed(let reason, _) = harness.machine.channelInactive(), harness.machine.phase == .closed {
                switch reason {
                case .failed(.protocolViolation), .failed(.serverDisconnected), .failed(.closedByPeer): break
                default: XCTFail("unexpected close reason \(reason)")
                }
            }
        }
    }
}

/// SplitMix64, so the random test replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
