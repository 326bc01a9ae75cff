@testable import LabBroker
import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

/// The WebSocket ↔ MQTT byte adapter on an `EmbeddedChannel`: what it passes on, what it answers, and
/// which frames close the connection with which code.
final class ServerWebSocketAdapterTests: XCTestCase {
    /// Collects the byte buffers the adapter passes inbound.
    private final class Sink: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received: [ByteBuffer] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(unwrapInboundIn(data))
        }
    }

    private var channel: EmbeddedChannel!
    private var sink: Sink!

    override func setUpWithError() throws {
        try makeChannel()
    }

    override func tearDown() {
        _ = try? channel.finish()
    }

    /// A fresh connected channel with the adapter and a sink behind it.
    private func makeChannel() throws {
        _ = try? channel?.finish()
        sink = Sink()
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(WebSocketMQTTAdapter(), sink)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    private func masked(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        let key = WebSocketMaskingKey.random()
        data.webSocketMask(key)
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data)
    }

    private func writtenFrame() throws -> WebSocketFrame? {
        try channel.readOutbound(as: WebSocketFrame.self)
    }

    private func closeCode(of frame: WebSocketFrame?) -> WebSocketErrorCode? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        var data = frame.unmaskedData
        return data.readWebSocketErrorCode()
    }

    func testBinaryAndContinuationPayloadsPassOnUnmasked() throws {
        try channel.writeInbound(masked(.binary, [0x10, 0x02], fin: false))
        try channel.writeInbound(masked(.continuation, [0xAA], fin: false))
        try channel.writeInbound(masked(.continuation, [0xBB, 0xCC], fin: true))
        try channel.writeInbound(masked(.binary, [0xC0, 0x00]))
        XCTAssertEqual(sink.received.map { Array($0.readableBytesView) }, [[0x10, 0x02], [0xAA], [0xBB, 0xCC], [0xC0, 0x00]])
        XCTAssertTrue(channel.isActive)
    }

    func testOutboundBytesGoInOneUnmaskedBinaryFrame() throws {
        try channel.writeOutbound(ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x00]))
        let frame = try XCTUnwrap(try writtenFrame())
        XCTAssertEqual(frame.opcode, .binary)
        XCTAssertTrue(frame.fin)
        XCTAssertNil(frame.maskKey, "servers must not mask (RFC 6455 §5.1)")
        XCTAssertEqual(Array(frame.data.readableBytesView), [0x20, 0x02, 0x00, 0x00])
    }

    func testATextFrameClosesWith1003() throws {
        try channel.writeInbound(masked(.text, Array("hello".utf8)))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .unacceptableData)
        XCTAssertFalse(channel.isActive)
        XCTAssertTrue(sink.received.isEmpty)
    }

    func testAnUnmaskedClientFrameClosesWith1002() throws {
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: [0xC0, 0x00])))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .protocolError)
        XCTAssertFalse(channel.isActive)
        XCTAssertTrue(sink.received.isEmpty)
    }

    func testReservedBitsAndUnknownOpcodesCloseWith1002() throws {
        var frame = masked(.binary, [0xC0, 0x00])
        frame.rsv1 = true
        try channel.writeInbound(frame)
        XCTAssertEqual(closeCode(of: try writtenFrame()), .protocolError)

        try makeChannel()
        try channel.writeInbound(masked(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, [0x00]))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .protocolError)
    }

    func testContinuationWithoutAStartAndBinaryInsideAMessageCloseWith1002() throws {
        try channel.writeInbound(masked(.continuation, [0xC0, 0x00]))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .protocolError)

        try makeChannel()
        try channel.writeInbound(masked(.binary, [0x10], fin: false))
        try channel.writeInbound(masked(.binary, [0x00]))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .protocolError)
        XCTAssertEqual(sink.received.count, 1)
    }

    func testPingIsAnsweredWithPongCarryingItsData() throws {
        try channel.writeInbound(masked(.ping, [1, 2, 3]))
        let pong = try XCTUnwrap(try writtenFrame())
        XCTAssertEqual(pong.opcode, .pong)
        XCTAssertEqual(Array(pong.data.readableBytesView), [1, 2, 3])
        XCTAssertTrue(channel.isActive)
        try channel.writeInbound(masked(.pong, []))
        XCTAssertNil(try writtenFrame(), "an unsolicited pong needs no answer")
    }

    func testPingsAreNotAnsweredWhileTheChannelIsUnwritable() throws {
        channel.isWritable = false
        try channel.writeInbound(masked(.ping, [1]))
        XCTAssertNil(try writtenFrame(), "no queue of pongs for a client that does not read")
        channel.isWritable = true
        try channel.writeInbound(masked(.ping, [2]))
        XCTAssertEqual(try writtenFrame()?.opcode, .pong)
    }

    func testACloseFrameIsAnsweredWithItsCodeAndTheConnectionCloses() throws {
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: .goingAway)
        try channel.writeInbound(masked(.connectionClose, Array(payload.readableBytesView)))
        XCTAssertEqual(closeCode(of: try writtenFrame()), .goingAway)
        XCTAssertFalse(channel.isActive)
    }

    func testClosingFromBehindSendsANormalCloseFrameFirst() throws {
        try channel.writeOutbound(ByteBuffer(bytes: [0xE0, 0x00]))
        channel.close(promise: nil)
        XCTAssertEqual(try writtenFrame()?.opcode, .binary)
        XCTAssertEqual(closeCode(of: try writtenFrame()), .normalClosure)
        XCTAssertNil(try writtenFrame(), "one close frame only")
    }

    func testAnOversizedFrameFromTheDecoderClosesWith1009() throws {
        channel.pipeline.fireErrorCaught(NIOWebSocketError.invalidFrameLength)
        XCTAssertEqual(closeCode(of: try writtenFrame()), .messageTooLarge)
        XCTAssertFalse(channel.isActive)
    }
}
