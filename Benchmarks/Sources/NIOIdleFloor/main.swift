import NIOCore
import NIOPosix

// The least a SwiftNIO server can hold an idle MQTT connection with: one channel per connection, one
// handler that answers CONNECT with CONNACK and PINGREQ with PINGRESP, no broker state at all. Its RSS
// per idle connection is the floor under any broker built on one NIO channel per connection, such as
// the lab broker; Scripts/bench-lab-broker.sh measures it with BROKERS="… floor".
//   nio-idle-floor PORT [RECEIVE_BUFFER_BYTES]
// Not an MQTT implementation: it assumes each packet arrives whole and looks only at first bytes.

/// Answers the two packets an idle device sends; everything else is read and dropped.
final class IdleAnswerer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) {
        case 0x10: reply([0x20, 0x02, 0x00, 0x00], context: context)
        case 0xC0: reply([0xD0, 0x00], context: context)
        default: break
        }
    }

    private func reply(_ bytes: [UInt8], context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = Int(arguments[1]) else {
    print("usage: nio-idle-floor PORT [RECEIVE_BUFFER_BYTES]")
    exit(2)
}
let receiveBuffer = arguments.count >= 3 ? Int(arguments[2]) ?? 64 : 64
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = try await ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .serverChannelOption(ChannelOptions.backlog, value: 4096)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(ChannelOptions.recvAllocator,
                        value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: receiveBuffer, maximum: 64 << 10))
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(IdleAnswerer()) }
    }
    .bind(host: "127.0.0.1", port: port).get()
print("nio-idle-floor listening on 127.0.0.1:\(server.localAddress?.port ?? port), receive buffers from \(receiveBuffer) bytes")
try await server.closeFuture.get()
