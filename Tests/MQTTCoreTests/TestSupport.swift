import MQTTCore
import NIOCore
import XCTest

/// Shared helpers: byte buffers from literals, encode/decode with size checks.
extension ByteBuffer {
    init(_ bytes: [UInt8]) {
        self.init()
        writeBytes(bytes)
    }

    init(text: String) {
        self.init()
        writeString(text)
    }

    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}

/// Encodes `packet`, asserting the written size equals `encodedSize`.
func encode(
    _ packet: MQTTPacket,
    _ version: MQTTProtocolVersion,
    file: StaticString = #filePath,
    line: UInt = #line
) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    let expected = packet.encodedSize(version: version)
    try packet.write(to: &buffer, version: version)
    XCTAssertEqual(buffer.readableBytes, expected, "encodedSize of \(packet.type) in \(version)", file: file, line: line)
    return buffer
}

/// Decodes exactly one packet from `bytes`, asserting nothing is left over.
func decode(
    _ bytes: [UInt8],
    _ version: MQTTProtocolVersion,
    file: StaticString = #filePath,
    line: UInt = #line
) throws -> MQTTPacket {
    var buffer = ByteBuffer(bytes)
    let packet = try MQTTPacket.read(from: &buffer, version: version, maximumPacketSize: Int.max)
    XCTAssertEqual(buffer.readableBytes, 0, "bytes left after decoding", file: file, line: line)
    return try XCTUnwrap(packet, "incomplete packet", file: file, line: line)
}

/// Encodes then decodes, asserting the packet comes back equal.
func assertRoundTrip(
    _ packet: MQTTPacket,
    _ version: MQTTProtocolVersion,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    do {
        let buffer = try encode(packet, version, file: file, line: line)
        let decoded = try decode(buffer.bytes, version, file: file, line: line)
        XCTAssertEqual(decoded, packet, "round trip in \(version)", file: file, line: line)
    } catch {
        XCTFail("round trip of \(packet.type) in \(version) threw \(error)", file: file, line: line)
    }
}

/// The decode error for `bytes`, failing the test if they decode.
func decodeError(
    _ bytes: [UInt8],
    _ version: MQTTProtocolVersion,
    maximumPacketSize: Int = Int.max,
    file: StaticString = #filePath,
    line: UInt = #line
) -> MQTTDecodeError? {
    var buffer = ByteBuffer(bytes)
    do {
        let packet = try MQTTPacket.read(from: &buffer, version: version, maximumPacketSize: maximumPacketSize)
        XCTFail("expected a decode error, got \(String(describing: packet))", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Asserts `bytes` fail to decode with exactly `kind`.
func assertDecodeFails(
    _ bytes: [UInt8],
    _ version: MQTTProtocolVersion,
    _ kind: MQTTDecodeError.Kind,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    guard let error = decodeError(bytes, version, file: file, line: line) else { return }
    XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
}

/// The encode error for `packet`, also asserting the buffer was left as it was.
func encodeError(
    _ packet: MQTTPacket,
    _ version: MQTTProtocolVersion,
    file: StaticString = #filePath,
    line: UInt = #line
) -> MQTTEncodeError? {
    var buffer = ByteBuffer([0xAA])
    do {
        try packet.write(to: &buffer, version: version)
        XCTFail("expected an encode error for \(packet.type)", file: file, line: line)
        return nil
    } catch {
        XCTAssertEqual(buffer.bytes, [0xAA], "buffer must be untouched after a failed write", file: file, line: line)
        return error
    }
}

/// A 2-byte length-prefixed string as MQTT writes it.
func mqttString(_ string: String) -> [UInt8] {
    let utf8 = Array(string.utf8)
    return [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xFF)] + utf8
}

/// A fixed header plus body with a correct single-byte remaining length.
func packet(_ firstByte: UInt8, _ body: [UInt8]) -> [UInt8] {
    precondition(body.count < 128)
    return [firstByte, UInt8(body.count)] + body
}
