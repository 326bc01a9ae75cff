@testable import LabBroker
import MQTTCore
import NIOCore
import XCTest

/// The inbound framer: packets split across reads at every byte, several packets in one read, the size
/// bound enforced from the header, and no buffer kept once everything is framed.
final class ServerFramingTests: XCTestCase {
    private func bytes(_ packets: [MQTTPacket], version: MQTTProtocolVersion = .v5_0) throws -> ByteBuffer {
        try encode(packets, version: version)
    }

    private let publish = MQTTPacket.publish(PublishPacket(
        topic: "devices/a/telemetry", payload: ByteBuffer(string: "21.5"), qos: .atLeastOnce, packetIdentifier: 7))

    private func frames(_ framer: inout InboundFramer) throws -> [MQTTFrame] {
        var frames: [MQTTFrame] = []
        while let frame = try framer.next() {
            frames.append(frame)
        }
        return frames
    }

    func testEverySplitPointYieldsTheSamePackets() throws {
        let stream = try bytes([.pingreq, publish, .pingreq])
        for split in 0...stream.readableBytes {
            var framer = InboundFramer(maximumPacketSize: 1024)
            framer.append(stream.getSlice(at: 0, length: split)!)
            var frames = try frames(&framer)
            framer.append(stream.getSlice(at: split, length: stream.readableBytes - split)!)
            frames += try self.frames(&framer)
            let packets = try frames.map { try MQTTPacket(frame: $0, version: .v5_0) }
            XCTAssertEqual(packets, [.pingreq, publish, .pingreq], "split at \(split)")
            XCTAssertEqual(framer.bufferedBytes, 0)
            XCTAssertEqual(framer.bufferedStorageCapacity, 0, "an idle framer holds no buffer")
        }
    }

    func testByteByByte() throws {
        let stream = try bytes([publish, publish])
        var framer = InboundFramer(maximumPacketSize: 1024)
        var frames: [MQTTFrame] = []
        for index in 0..<stream.readableBytes {
            framer.append(stream.getSlice(at: index, length: 1)!)
            frames += try self.frames(&framer)
        }
        XCTAssertEqual(try frames.map { try MQTTPacket(frame: $0, version: .v5_0) }, [publish, publish])
        XCTAssertEqual(framer.bufferedStorageCapacity, 0)
    }

    func testOversizedPacketIsRefusedFromItsHeaderAlone() throws {
        var framer = InboundFramer(maximumPacketSize: 100)
        // PUBLISH announcing 200 bytes of body; only the fixed header has arrived.
        framer.append(ByteBuffer(bytes: [0x30, 0xC8, 0x01]))
        XCTAssertThrowsError(try framer.next()) { error in
            guard case .packetTooLarge(let size, let maximum) = (error as? MQTTDecodeError)?.kind else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(size, 203)
            XCTAssertEqual(maximum, 100)
        }
        XCTAssertTrue(framer.failed)
        framer.append(try bytes([.pingreq]))
        XCTAssertNil(try framer.next(), "after a framing error the rest of the stream is ignored")
        XCTAssertEqual(framer.bufferedBytes, 0)
    }

    func testMalformedRemainingLengthIsAFramingError() {
        var framer = InboundFramer(maximumPacketSize: 1 << 20)
        framer.append(ByteBuffer(bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
        XCTAssertThrowsError(try framer.next()) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .variableByteIntegerTooLong)
        }
    }

    func testAPartialPacketDoesNotPinALargeReceiveBuffer() throws {
        var large = ByteBufferAllocator().buffer(capacity: 64 << 10)
        var complete = try bytes([publish])
        large.writeBuffer(&complete)
        large.writeBytes([0x30, 0x10, 0x00])  // the first 3 bytes of another PUBLISH
        var framer = InboundFramer(maximumPacketSize: 1024)
        framer.append(large)
        XCTAssertEqual(try frames(&framer).count, 1)
        XCTAssertEqual(framer.bufferedBytes, 3)
        XCTAssertLessThan(framer.bufferedStorageCapacity, 64, "3 bytes copied out of the 64 KiB receive buffer")
    }

    func testManyPacketsInOneReadAreNotCopied() throws {
        var stream = ByteBufferAllocator().buffer(capacity: 8 << 10)
        for _ in 0..<100 {
            var one = try bytes([publish])
            stream.writeBuffer(&one)
        }
        var framer = InboundFramer(maximumPacketSize: 1024)
        framer.append(stream)
        var count = 0
        while try framer.next() != nil {
            count += 1
            if count < 100 {
                XCTAssertEqual(framer.bufferedStorageCapacity, 8 << 10, "the read's own buffer is framed in place")
            }
        }
        XCTAssertEqual(count, 100)
        XCTAssertEqual(framer.bufferedStorageCapacity, 0)
    }
}
