import MQTTCore
import NIOCore
import XCTest

final class RawPacketTests: XCTestCase {
    private let publish = MQTTPacket.publish(
        PublishPacket(topic: "a/b", payload: ByteBuffer(text: "x"), qos: .atLeastOnce, packetIdentifier: 3))

    private func bytes(of raw: RawPacket) -> [UInt8] {
        var buffer = ByteBuffer()
        raw.write(to: &buffer)
        XCTAssertEqual(buffer.readableBytes, raw.encodedSize)
        return buffer.bytes
    }

    func testUnmodifiedRawPacketIsTheValidEncoding() throws {
        for version in MQTTProtocolVersion.allCases {
            let raw = try RawPacket(packet: publish, version: version)
            XCTAssertEqual(bytes(of: raw), try encode(publish, version).bytes)
        }
        let big = MQTTPacket.publish(PublishPacket(topic: "t", payload: ByteBuffer(repeating: 7, count: 20_000)))
        XCTAssertEqual(bytes(of: try RawPacket(packet: big, version: .v5_0)), try encode(big, .v5_0).bytes)
    }

    func testFirstByteIsWrittenAsGiven() throws {
        var raw = try RawPacket(packet: publish, version: .v3_1_1)
        raw.firstByte = 0x36  // QoS 3
        let written = bytes(of: raw)
        XCTAssertEqual(written.first, 0x36)
        XCTAssertEqual(decodeError(written, .v3_1_1)?.kind, .invalidQoS(3))
    }

    func testRemainingLengthMayLie() throws {
        var raw = try RawPacket(packet: .pingreq, version: .v3_1_1)
        raw.remainingLength = .value(5)
        XCTAssertEqual(bytes(of: raw), [0xC0, 0x05])
        var buffer = ByteBuffer(bytes(of: raw))
        XCTAssertNil(try MQTTFrame.read(from: &buffer, maximumPacketSize: 100), "the peer waits for 5 bytes that never come")
        raw.remainingLength = .value(300_000_000)
        XCTAssertEqual(bytes(of: raw), [0xC0, 0x80, 0xC6, 0x86, 0x8F, 0x01])
    }

    func testRemainingLengthMayBeOverlongOrFiveBytes() throws {
        var raw = try RawPacket(packet: .pingreq, version: .v5_0)
        raw.remainingLength = .bytes([0x80, 0x80, 0x80, 0x80, 0x00])
        let fiveBytes = bytes(of: raw)
        XCTAssertEqual(fiveBytes, [0xC0, 0x80, 0x80, 0x80, 0x80, 0x00])
        XCTAssertEqual(decodeError(fiveBytes, .v5_0)?.kind, .variableByteIntegerTooLong)
        raw.remainingLength = .bytes([0x80, 0x00])
        XCTAssertEqual(decodeError(bytes(of: raw), .v5_0)?.kind, .variableByteIntegerNotMinimal)
    }

    func testBodyMayBeAnything() {
        let raw = RawPacket(firstByte: 0x00, body: ByteBuffer([0xDE, 0xAD]))
        XCTAssertEqual(bytes(of: raw), [0x00, 0x02, 0xDE, 0xAD])
        XCTAssertEqual(raw.remainingLengthBytes, [0x02])
        XCTAssertEqual(decodeError(bytes(of: raw), .v5_0)?.kind, .unknownPacketType(0))
    }
}
