@testable import MQTTCore
import NIOCore
import XCTest

final class VariableByteIntegerTests: XCTestCase {
    private let boundaries: [(value: Int, size: Int)] = [
        (0, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3), (2_097_151, 3), (2_097_152, 4), (268_435_455, 4),
    ]

    func testBoundaryValuesEncodeToTheirSizeAndDecodeBack() {
        for (value, size) in boundaries {
            var buffer = ByteBuffer()
            buffer.writeVariableByteInteger(value)
            XCTAssertEqual(buffer.readableBytes, size, "size of \(value)")
            XCTAssertEqual(VariableByteInteger.size(of: value), size, "computed size of \(value)")
            guard case .value(let decoded, let length) =
                VariableByteInteger.decode(from: buffer, at: buffer.readerIndex, limit: buffer.writerIndex)
            else {
                XCTFail("\(value) did not decode")
                continue
            }
            XCTAssertEqual(Int(decoded), value)
            XCTAssertEqual(length, size)
        }
    }

    func testKnownEncodings() {
        let cases: [(Int, [UInt8])] = [
            (0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
            (2_097_151, [0xFF, 0xFF, 0x7F]), (2_097_152, [0x80, 0x80, 0x80, 0x01]),
            (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F]),
        ]
        for (value, bytes) in cases {
            var buffer = ByteBuffer()
            buffer.writeVariableByteInteger(value)
            XCTAssertEqual(buffer.bytes, bytes, "\(value)")
        }
    }

    func testFiveByteRemainingLengthIsRejected() {
        // 268,435,456 needs a fifth byte.
        var buffer = ByteBuffer([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])
        XCTAssertThrowsError(try MQTTFrame.read(from: &buffer, maximumPacketSize: Int.max)) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .variableByteIntegerTooLong)
            XCTAssertEqual((error as? MQTTDecodeError)?.offset, 1)
        }
    }

    func testFourContinuationBytesAreRejectedBeforeTheFifthArrives() {
        var buffer = ByteBuffer([0x30, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try MQTTFrame.read(from: &buffer, maximumPacketSize: Int.max)) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .variableByteIntegerTooLong)
        }
    }

    func testOverlongEncodingIsRejected() {
        for bytes: [UInt8] in [[0x80, 0x00], [0xFF, 0x80, 0x00], [0x80, 0x80, 0x80, 0x00]] {
            var buffer = ByteBuffer([0xC0] + bytes)
            XCTAssertThrowsError(try MQTTFrame.read(from: &buffer, maximumPacketSize: Int.max), "\(bytes)") { error in
                XCTAssertEqual((error as? MQTTDecodeError)?.kind, .variableByteIntegerNotMinimal)
            }
        }
    }

    func testLargestRemainingLengthIsAcceptedAndWaitsForItsBody() throws {
        var buffer = ByteBuffer([0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x01])
        XCTAssertNil(try MQTTFrame.read(from: &buffer, maximumPacketSize: Int.max))
        XCTAssertEqual(buffer.readableBytes, 7)
    }

    func testOverlongSubscriptionIdentifierInsidePropertiesIsRejected() {
        // SUBSCRIBE 5.0, id 1, properties: Subscription Identifier 1 encoded as 0x81 0x00.
        let body: [UInt8] = [0x00, 0x01, 0x03, 0x0B, 0x81, 0x00] + mqttString("a") + [0x00]
        assertDecodeFails(packet(0x82, body), .v5_0, .variableByteIntegerNotMinimal)
    }
}
