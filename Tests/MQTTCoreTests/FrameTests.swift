import MQTTCore
import NIOCore
import XCTest

final class FrameTests: XCTestCase {
    private func samplePublish() throws -> [UInt8] {
        let publish = MQTTPacket.publish(
            PublishPacket(
                topic: "devices/1/telemetry", payload: ByteBuffer(text: "{\"co2\":412}"), qos: .atLeastOnce,
                packetIdentifier: 7, properties: [.messageExpiryInterval(30)]))
        return try encode(publish, .v5_0).bytes
    }

    func testEveryPrefixOfAFrameIsIncompleteAndLeavesTheBufferUntouched() throws {
        let bytes = try samplePublish()
        for length in 0..<bytes.count {
            var buffer = ByteBuffer(Array(bytes[..<length]))
            let before = buffer
            XCTAssertNil(try MQTTFrame.read(from: &buffer, maximumPacketSize: 1024), "prefix of \(length) bytes")
            XCTAssertEqual(buffer, before)
            XCTAssertEqual(buffer.readerIndex, before.readerIndex)
            XCTAssertNil(try MQTTPacket.read(from: &buffer, version: .v5_0, maximumPacketSize: 1024))
            XCTAssertEqual(buffer.readerIndex, before.readerIndex)
        }
    }

    func testCompleteFrameIsCutOutAndConsumed() throws {
        let bytes = try samplePublish()
        var buffer = ByteBuffer(bytes + [0xC0])
        let frame = try XCTUnwrap(try MQTTFrame.read(from: &buffer, maximumPacketSize: 1024))
        XCTAssertEqual(frame.type, .publish)
        XCTAssertEqual(frame.flags, 0b0010)
        XCTAssertEqual(frame.body.readableBytes, bytes.count - 2)
        XCTAssertEqual(frame.encodedSize, bytes.count)
        XCTAssertEqual(buffer.bytes, [0xC0], "only the first frame is consumed")
        var rewritten = ByteBuffer()
        frame.write(to: &rewritten)
        XCTAssertEqual(rewritten.bytes, bytes)
    }

    func testBackToBackPacketsDecodeInOrder() throws {
        var buffer = ByteBuffer([0xC0, 0x00, 0xD0, 0x00, 0x40, 0x02, 0x00, 0x09])
        XCTAssertEqual(try MQTTPacket.read(from: &buffer, version: .v3_1_1, maximumPacketSize: 100), .pingreq)
        XCTAssertEqual(try MQTTPacket.read(from: &buffer, version: .v3_1_1, maximumPacketSize: 100), .pingresp)
        XCTAssertEqual(
            try MQTTPacket.read(from: &buffer, version: .v3_1_1, maximumPacketSize: 100),
            .puback(PublishAckPacket(packetIdentifier: 9)))
        XCTAssertNil(try MQTTPacket.read(from: &buffer, version: .v3_1_1, maximumPacketSize: 100))
    }

    func testFrameLargerThanMaximumIsRejectedFromItsHeaderAlone() {
        // Remaining length 65535, and none of the body has arrived.
        var buffer = ByteBuffer([0x30, 0xFF, 0xFF, 0x03])
        XCTAssertThrowsError(try MQTTFrame.read(from: &buffer, maximumPacketSize: 1000)) { error in
            let error = error as? MQTTDecodeError
            XCTAssertEqual(error?.kind, .packetTooLarge(size: 1 + 3 + 65_535, maximum: 1000))
            XCTAssertEqual(error?.packetType, .publish)
            XCTAssertEqual(error?.bytes, [0x30, 0xFF, 0xFF, 0x03])
        }
    }

    func testMaximumPacketSizeCountsTheFixedHeader() throws {
        var exact = ByteBuffer([0x40, 0x02, 0x00, 0x01])
        XCTAssertNotNil(try MQTTFrame.read(from: &exact, maximumPacketSize: 4))
        var over = ByteBuffer([0x40, 0x02, 0x00, 0x01])
        XCTAssertThrowsError(try MQTTFrame.read(from: &over, maximumPacketSize: 3)) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .packetTooLarge(size: 4, maximum: 3))
        }
    }

    func testPacketTypeZeroIsUnknown() {
        var buffer = ByteBuffer([0x00, 0x00])
        XCTAssertThrowsError(try MQTTFrame.read(from: &buffer, maximumPacketSize: 100)) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .unknownPacketType(0))
            XCTAssertNil((error as? MQTTDecodeError)?.packetType)
        }
    }

    func testPublishPayloadIsASliceOfTheInputNotACopy() throws {
        var buffer = ByteBuffer([0x30, 0x06] + mqttString("a") + [0x68, 0x69, 0x21])
        let base = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let packet = try XCTUnwrap(try MQTTPacket.read(from: &buffer, version: .v3_1_1, maximumPacketSize: 100))
        guard case .publish(let publish) = packet else { return XCTFail("not a publish: \(packet)") }
        XCTAssertEqual(publish.payload.bytes, [0x68, 0x69, 0x21])
        let payloadBase = publish.payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        XCTAssertEqual(payloadBase, base + 5, "payload must point into the received bytes")
    }
}
