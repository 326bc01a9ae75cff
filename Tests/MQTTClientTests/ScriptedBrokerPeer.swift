import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization

/// A broker stand-in for one connection on 127.0.0.1 (port chosen by the kernel): it answers CONNECT with a
/// CONNACK, then does what the test says — flood PUBLISH, stop or resume reading — and records every frame
/// that arrives. Floods are streamed from one shared chunk, so a 128 MiB packet costs the peer 64 KiB, and
/// every wait is on an event (a frame arriving, a write completing), never on time.
final class ScriptedBrokerPeer: Sendable {
    let port: Int
    private let serverChannel: any Channel
    private let accepted: Accepted

    /// The connection promise, settled once: by the first CONNECT, or by `stop()` when none came.
    private final class Accepted: Sendable {
        let promise: EventLoopPromise<Connection>
        private let settled = Mutex(false)

        init(promise: EventLoopPromise<Connection>) { self.promise = promise }

        func settle(_ result: Result<Connection, any Error>) {
            let first = settled.withLock { settled in
                defer { settled = true }
                return !settled
            }
            if first { promise.completeWith(result) }
        }
    }

    /// One accepted connection, after its CONNACK went out.
    final class Connection: Sendable {
        let channel: any Channel
        private let state = Mutex(State())

        private struct State {
            var frames: [MQTTFrame] = []
            var counts: [MQTTPacketType: Int] = [:]
            var waiters: [(type: MQTTPacketType, count: Int, promise: EventLoopPromise<Void>)] = []
            var closed = false
        }

        init(channel: any Channel) { self.channel = channel }

        /// Writes `count` PUBLISH packets on `topic`, each carrying `payloadSize` bytes (packet identifiers
        /// 1, 2, … for QoS 1/2), and returns once the last byte is in the socket. Paced in batches so the
        /// peer's own buffers stay small however much it sends.
        func flood(count: Int, payloadSize: Int, qos: QoS = .atMostOnce, topic: String = "flood") async throws {
            let chunk = ByteBuffer(repeating: 0x66, count: min(payloadSize, 64 * 1024))
            var sent = 0
            while sent < count {
                let first = sent
                let last = try await channel.eventLoop.flatSubmit { [channel] () -> EventLoopFuture<Int> in
                    var queued = 0
                    var index = first
                    var written = channel.eventLoop.makeSucceededVoidFuture()
                    while index < count, queued < 256 * 1024 {
                        let identifier = qos == .atMostOnce ? nil : UInt16(index % 65_535 + 1)
                        var header = channel.allocator.buffer(capacity: 16 + topic.utf8.count)
                        Self.writePublishHeader(
                            to: &header, topic: topic, qos: qos, packetIdentifier: identifier, payloadSize: payloadSize)
                        queued += header.readableBytes + payloadSize
                        written = channel.write(header)
                        var remaining = payloadSize
                        while remaining > 0 {
                            let piece = chunk.getSlice(at: 0, length: min(remaining, chunk.readableBytes))!
                            written = channel.write(piece)
                            remaining -= piece.readableBytes
                        }
                        index += 1
                    }
                    channel.flush()
                    let end = index
                    return written.map { end }
                }.get()
                sent = last
            }
        }

        /// Stops or resumes reading what the device sends (its acknowledgements pile up in the kernel meanwhile).
        func setReading(_ reading: Bool) async throws {
            try await channel.setOption(ChannelOptions.autoRead, value: reading).get()
        }

        /// Every frame received after CONNECT, in order.
        var frames: [MQTTFrame] { state.withLock { $0.frames } }

        /// Returns once `count` frames of `type` have arrived (counting those already here).
        func waitForFrames(_ type: MQTTPacketType, count: Int) async throws {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            let outcome: Result<Void, any Error>? = state.withLock { state in
                if state.counts[type, default: 0] >= count { return .success(()) }
                if state.closed { return .failure(ChannelError.ioOnClosedChannel) }
                state.waiters.append((type, count, promise))
                return nil
            }
            if let outcome { promise.completeWith(outcome) }
            try await promise.futureResult.get()
        }

        fileprivate func received(_ frame: MQTTFrame) {
            let ready = state.withLock { state in
                state.frames.append(frame)
                state.counts[frame.type, default: 0] += 1
                let have = state.counts[frame.type, default: 0]
                let ready = state.waiters.filter { $0.type == frame.type && $0.count <= have }
                state.waiters.removeAll { $0.type == frame.type && $0.count <= have }
                return ready.map(\.promise)
            }
            for promise in ready { promise.succeed() }
        }

        fileprivate func closed() {
            let waiting = state.withLock { state in
                state.closed = true
                defer { state.waiters.removeAll() }
                return state.waiters.map(\.promise)
            }
            for promise in waiting { promise.fail(ChannelError.ioOnClosedChannel) }
        }

        /// The fixed header, topic and packet identifier of a PUBLISH whose payload follows separately.
        static func writePublishHeader(
            to buffer: inout ByteBuffer, topic: String, qos: QoS, packetIdentifier: UInt16?, payloadSize: Int
        ) {
            buffer.writeInteger(MQTTPacketType.publish.rawValue << 4 | qos.rawValue << 1)
            var remaining = 2 + topic.utf8.count + (packetIdentifier == nil ? 0 : 2) + payloadSize
            repeat {
                let digit = UInt8(remaining % 128)
                remaining /= 128
                buffer.writeInteger(remaining > 0 ? digit | 0x80 : digit)
            } while remaining > 0
            buffer.writeInteger(UInt16(topic.utf8.count))
            buffer.writeString(topic)
            if let packetIdentifier { buffer.writeInteger(packetIdentifier) }
        }
    }

    /// Starts listening. `receiveBufferSize` sets SO_RCVBUF for the accepted connection, so the kernel holds
    /// little of what the device sends while the peer does not read.
    static func start(
        on group: any EventLoopGroup, version: MQTTProtocolVersion = .v3_1_1, receiveBufferSize: Int? = nil
    ) async throws -> ScriptedBrokerPeer {
        let eventLoop = group.next()
        let accepted = Accepted(promise: eventLoop.makePromise(of: Connection.self))
        var bootstrap = ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        if let receiveBufferSize {
            // Set on the listener: an accepted socket inherits it, window scale included.
            bootstrap = bootstrap.serverChannelOption(ChannelOptions.socketOption(.so_rcvbuf), value: receiveBufferSize)
        }
        let server = try await bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(MQTTFrameDecoder()))
                    try pipeline.addHandler(PeerHandler(version: version, accepted: accepted))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedBrokerPeer(serverChannel: server, accepted: accepted)
    }

    private init(serverChannel: any Channel, accepted: Accepted) {
        self.serverChannel = serverChannel
        self.accepted = accepted
        port = serverChannel.localAddress?.port ?? 0
    }

    var endpoint: MQTTEndpoint { MQTTEndpoint(host: "127.0.0.1", port: port) }

    /// The connection, once its CONNECT has been answered.
    func connection() async throws -> Connection {
        try await accepted.promise.futureResult.get()
    }

    /// Closes the listener and the connection, if one came.
    func stop() async throws {
        try await serverChannel.close()
        accepted.settle(.failure(ChannelError.ioOnClosedChannel))
        if let connection = try? await accepted.promise.futureResult.get() {
            try? await connection.channel.close()
        }
    }

    /// Answers the first CONNECT and hands every later frame to the `Connection`.
    private final class PeerHandler: ChannelInboundHandler {
        typealias InboundIn = MQTTFrame
        let version: MQTTProtocolVersion
        let accepted: Accepted
        private var connection: Connection?

        init(version: MQTTProtocolVersion, accepted: Accepted) {
            self.version = version
            self.accepted = accepted
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            if let connection {
                connection.received(frame)
            } else if frame.type == .connect {
                var connAck = context.channel.allocator.buffer(capacity: 8)
                try? MQTTPacket.connack(ConnAckPacket()).write(to: &connAck, version: version)
                context.writeAndFlush(NIOAny(connAck), promise: nil)
                let connection = Connection(channel: context.channel)
                self.connection = connection
                accepted.settle(.success(connection))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            connection?.closed()
            context.fireChannelInactive()
        }
    }
}
