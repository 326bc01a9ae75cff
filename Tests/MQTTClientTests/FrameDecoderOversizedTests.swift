import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// `MQTTFrameDecoder` on packets over its limit, one mode at a time, fed the way a socket feeds it.
final class FrameDecoderOversizedTests: XCTestCase {
    private static func publish(topic: String = "t/1", payloadSize: Int, qos: QoS = .atMostOnce) throws -> ByteBuffer {
        let packet = MQTTPacket.publish(PublishPacket(
            topic: topic, payload: ByteBuffer(repeating: 0x61, count: payloadSize), qos: qos,
            packetIdentifier: qos == .atMostOnce ? nil : 7))
        var buffer = ByteBuffer()
        try packet.write(to: &buffer, version: .v3_1_1)
        return buffer
    }

    private static func frame(of bytes: ByteBuffer) throws -> MQTTFrame {
        var copy = bytes
        return try XCTUnwrap(MQTTFrame.read(from: &copy, maximumPacketSize: .max))
    }

    /// Feeds `stream` `chunk` bytes at a time, as reads would, and collects what comes out; `held` is the
    /// most the decoder left unconsumed after any read.
    private static func feed(
        _ stream: ByteBuffer, chunk: Int, into decoder: inout MQTTFrameDecoder
    ) throws -> (outputs: [MQTTFrameDecoder.Output], held: Int) {
        var stream = stream
        var cumulation = ByteBuffer()
        var outputs: [MQTTFrameDecoder.Output] = []
        var held = 0
        while stream.readableBytes > 0 {
            var piece = stream.readSlice(length: min(chunk, stream.readableBytes))!
            cumulation.writeBuffer(&piece)
            while let output = try decoder.next(from: &cumulation) { outputs.append(output) }
            held = max(held, cumulation.readableBytes)
        }
        return (outputs, held)
    }

    func testDiscardSkipsAnOversizedPacketAcrossManySmallReadsWithoutHoldingIt() throws {
        let oversized = try Self.publish(payloadSize: 10_000)
        let next = try Self.publish(topic: "t/2", payloadSize: 20)
        var stream = oversized
        stream.writeImmutableBuffer(next)
        var decoder = MQTTFrameDecoder(maximumPacketSize: 256, oversized: .discard)

        let (outputs, held) = try Self.feed(stream, chunk: 7, into: &decoder)

        XCTAssertEqual(outputs, [
            .discarded(MQTTOversizedPacketDiscarded(packetType: .publish, size: oversized.readableBytes, limit: 256)),
            .frame(try Self.frame(of: next)),
        ])
        // Only the next packet (27 bytes) is ever buffered whole; of the oversized one, nothing past one read.
        XCTAssertLessThan(held, next.readableBytes)
    }

    func testDiscardHandsOnTheFramesAfterTheSkippedOneExactly() throws {
        let oversized = try Self.publish(payloadSize: 1_000, qos: .atLeastOnce)
        let pingResp = ByteBuffer(bytes: [0xD0, 0x00])
        let after = try Self.publish(topic: "after", payloadSize: 3, qos: .atLeastOnce)
        var stream = pingResp
        stream.writeImmutableBuffer(oversized)
        stream.writeImmutableBuffer(oversized)
        stream.writeImmutableBuffer(after)
        var decoder = MQTTFrameDecoder(maximumPacketSize: 64, oversized: .discard)

        var whole = stream
        var outputs: [MQTTFrameDecoder.Output] = []
        while let output = try decoder.next(from: &whole) { outputs.append(output) }

        let report = MQTTOversizedPacketDiscarded(packetType: .publish, size: oversized.readableBytes, limit: 64)
        XCTAssertEqual(outputs, [
            .frame(try Self.frame(of: pingResp)), .discarded(report), .discarded(report), .frame(try Self.frame(of: after)),
        ])
        XCTAssertEqual(whole.readableBytes, 0)
    }

    func testCloseConnectionRefusesFromTheFixedHeaderAlone() throws {
        let oversized = try Self.publish(payloadSize: 10_000)
        var header = oversized.getSlice(at: 0, length: 3)!
        var decoder = MQTTFrameDecoder(maximumPacketSize: 256)
        XCTAssertEqual(decoder.oversized, .closeConnection)

        XCTAssertThrowsError(try decoder.next(from: &header)) { error in
            XCTAssertEqual((error as? MQTTDecodeError)?.kind, .packetTooLarge(size: oversized.readableBytes, maximum: 256))
        }
    }

    func testTruncatePublishDeliversTheBuffersWorthThenSkipsTheRest() throws {
        let oversized = try Self.publish(topic: "cmd/big", payloadSize: 2_000, qos: .atLeastOnce)
        let next = try Self.publish(topic: "t/2", payloadSize: 5)
        var stream = oversized
        stream.writeImmutableBuffer(next)
        var decoder = MQTTFrameDecoder(maximumPacketSize: 256, oversized: .truncatePublish)

        let (outputs, held) = try Self.feed(stream, chunk: 100, into: &decoder)

        XCTAssertEqual(outputs.count, 3)
        guard case .frame(let truncated) = outputs.first else { return XCTFail("no truncated PUBLISH: \(outputs)") }
        guard case .publish(let publish) = try MQTTPacket(frame: truncated, version: .v3_1_1) else {
            return XCTFail("not a PUBLISH")
        }
        XCTAssertEqual(publish.topic, "cmd/big")
        XCTAssertEqual(publish.packetIdentifier, 7)
        // 256 bytes on the wire: 3 of fixed header, 2 + 7 of topic, 2 of packet identifier, 242 of payload.
        XCTAssertEqual(publish.payload, ByteBuffer(repeating: 0x61, count: 242))
        XCTAssertEqual(outputs[1], .discarded(MQTTOversizedPacketDiscarded(
            packetType: .publish, size: oversized.readableBytes, limit: 256, deliveredBytes: 256)))
        XCTAssertEqual(outputs[2], .frame(try Self.frame(of: next)))
        XCTAssertLessThanOrEqual(held, 256)
    }

    func testTruncatePublishClosesOnOtherPacketsAndOnATopicThatDoesNotFit() throws {
        var subAck = ByteBuffer()
        MQTTFrame(type: .suback, flags: 0, body: ByteBuffer(repeating: 0, count: 300)).write(to: &subAck)
        let longTopic = try Self.publish(topic: String(repeating: "x", count: 300), payloadSize: 0)

        for var stream in [subAck, longTopic] {
            var decoder = MQTTFrameDecoder(maximumPacketSize: 256, oversized: .truncatePublish)
            XCTAssertThrowsError(try decoder.next(from: &stream)) { error in
                guard case .packetTooLarge = (error as? MQTTDecodeError)?.kind else { return XCTFail("\(error)") }
            }
        }
    }

    func testTheLimitHoldsOn311WhereCONNECTCannotAnnounceIt() {
        let configuration = MQTTConnectionConfiguration(
            version: .v3_1_1, clientIdentifier: "pubsubclient", maximumPacketSize: 256, oversizedInbound: .discard)
        XCTAssertEqual(configuration.inboundPacketSizeLimit, 256)
        XCTAssertEqual(configuration.connectPacket.properties, [])
        var v5 = configuration
        v5.version = .v5_0
        XCTAssertEqual(v5.connectPacket.properties.maximumPacketSize, 256)
    }
}
