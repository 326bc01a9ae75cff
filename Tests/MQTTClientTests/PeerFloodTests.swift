import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import XCTest

/// A scripted broker floods a device over a real socket; the device's memory must stay bounded whatever
/// the broker sends, and an oversized packet must do what the device's firmware does with it.
final class PeerFloodTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    override func tearDown() async throws {
        try await group.shutdownGracefully()
    }

    /// The device side of one connection, on its event loop: the delegate, plus what the pipeline shows
    /// (discard reports, writability, the bytes waiting to be written). Tells the test through promises only.
    private final class Watch: MQTTConnectionDelegate {
        let connected: EventLoopPromise<Void>
        let closed: EventLoopPromise<MQTTCloseReason>
        /// Succeeds at the first publish on `lastTopic` (everything before it has been handled).
        let lastReceived: EventLoopPromise<Void>
        /// Succeeds when `expected` publishes have arrived, or reading stopped while writes were stuck.
        let floodSettled: EventLoopPromise<Void>
        let lastTopic: String
        var expected = Int.max
        var received = 0
        var discarded: [MQTTOversizedPacketDiscarded] = []
        var stoppedReading = false
        var mostBufferedForWriting = 0
        var closeReason: MQTTCloseReason?

        init(on eventLoop: any EventLoop, lastTopic: String) {
            connected = eventLoop.makePromise()
            closed = eventLoop.makePromise()
            lastReceived = eventLoop.makePromise()
            floodSettled = eventLoop.makePromise()
            self.lastTopic = lastTopic
        }

        func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) { connected.succeed() }

        func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {
            received += 1
            if publish.topic == lastTopic { lastReceived.succeed() }
            if received >= expected { floodSettled.succeed() }
        }

        func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
            connected.fail(ChannelError.ioOnClosedChannel)
            lastReceived.fail(ChannelError.ioOnClosedChannel)
            floodSettled.fail(ChannelError.ioOnClosedChannel)
            closeReason = reason
            closed.succeed(reason)
        }
    }

    /// At the socket end of the pipeline: sees which reads reach the socket, and after each read the bytes
    /// queued for writing. A read that ended while unwritable with no read following means reading stopped.
    private final class SocketEnd: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        let watch: Watch
        private var readRequested = false

        init(watch: Watch) { self.watch = watch }

        func read(context: ChannelHandlerContext) {
            readRequested = true
            context.read()
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            readRequested = false
            let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
            watch.mostBufferedForWriting = max(watch.mostBufferedForWriting, buffered)
            context.fireChannelReadComplete()
            // The pipeline asks for the next read (or holds it back) before this runs.
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let (end, context) = loopBound.value
                if !end.readRequested, !context.channel.isWritable {
                    end.watch.stoppedReading = true
                    end.watch.floodSettled.succeed()
                }
            }
        }
    }

    /// At the far end of the pipeline: the connection handler passes the decoder's discard reports on.
    private final class ApplicationEnd: ChannelInboundHandler {
        typealias InboundIn = Never
        let watch: Watch

        init(watch: Watch) { self.watch = watch }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let report = event as? MQTTOversizedPacketDiscarded { watch.discarded.append(report) }
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Connects a device with `configuration` to `peer` and waits for CONNACK. `sendBufferSize` shrinks the
    /// device's SO_SNDBUF, so the kernel absorbs little of what it writes.
    private func connect(
        _ configuration: MQTTConnectionConfiguration, to peer: ScriptedBrokerPeer, lastTopic: String = "done",
        sendBufferSize: Int? = nil
    ) async throws -> NIOLoopBound<Watch> {
        let eventLoop = group.next()
        let watch = try await eventLoop.flatSubmit {
            let watch = Watch(on: eventLoop, lastTopic: lastTopic)
            let handler = MQTTConnectionHandler(configuration: configuration, delegate: watch)
            let bound = NIOLoopBound(watch, eventLoop: eventLoop)
            return MQTTConnector.connect(handler, to: peer.endpoint, on: eventLoop).flatMapThrowing { channel in
                // Still inside the connect callback: nothing has been read yet.
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(SocketEnd(watch: bound.value), position: .first)
                try pipeline.addHandler(ApplicationEnd(watch: bound.value))
                if let sendBufferSize {
                    try channel.syncOptions?.setOption(ChannelOptions.socketOption(.so_sndbuf), value: sendBufferSize)
                }
                return bound
            }
        }.get()
        try await eventLoop.flatSubmit { watch.value.connected.futureResult }.get()
        return watch
    }

    private func onLoop<T: Sendable>(_ watch: NIOLoopBound<Watch>, _ body: @escaping @Sendable (Watch) -> T) async throws -> T {
        try await watch.eventLoop.submit { body(watch.value) }.get()
    }

    /// Resident memory of this process (tests run one at a time, so growth is this test's).
    private static func residentBytes() throws -> Int {
        let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testPubSubClientLikeDeviceDiscardsAFloodOfOversizedPublishesInBoundedMemory() async throws {
        let peer = try await ScriptedBrokerPeer.start(on: group)
        let watch = try await connect(
            MQTTConnectionConfiguration(
                version: .v3_1_1, clientIdentifier: "pubsubclient-1", maximumPacketSize: 256, oversizedInbound: .discard),
            to: peer)
        let broker = try await peer.connection()
        let before = try Self.residentBytes()

        // 200 MiB in 1 MiB publishes, then one 64 MiB publish: a device that buffered any of them whole would grow.
        try await broker.flood(count: 200, payloadSize: 1 << 20)
        try await broker.flood(count: 1, payloadSize: 64 << 20)
        try await broker.flood(count: 1, payloadSize: 10, topic: "done")
        try await watch.eventLoop.flatSubmit { watch.value.lastReceived.futureResult }.get()

        let grown = try Self.residentBytes() - before
        let (discarded, received, closed) = try await onLoop(watch) { ($0.discarded, $0.received, $0.closeReason) }
        XCTAssertEqual(discarded.count, 201)
        XCTAssertEqual(discarded.filter { $0.size > (1 << 20) + 16 }.count, 1)
        XCTAssertTrue(discarded.allSatisfy { $0.packetType == .publish && $0.limit == 256 && $0.deliveredBytes == 0 })
        XCTAssertEqual(received, 1, "only the publish that fits is delivered")
        XCTAssertNil(closed, "the device stays connected, as PubSubClient does")
        XCTAssertLessThan(grown, 32 << 20, "resident memory grew by \(grown) bytes while 264 MiB were discarded")
        try await peer.stop()
    }

    func testCloseConnectionModeEndsTheConnectionWithPacketTooLarge() async throws {
        let peer = try await ScriptedBrokerPeer.start(on: group)
        let watch = try await connect(
            MQTTConnectionConfiguration(version: .v3_1_1, clientIdentifier: "strict-1", maximumPacketSize: 256), to: peer)
        let broker = try await peer.connection()

        // The device resets the connection mid-packet, so the broker's write fails; its close reason is the point.
        try? await broker.flood(count: 1, payloadSize: 1 << 20)
        let reason = try await watch.eventLoop.flatSubmit { watch.value.closed.futureResult }.get()

        guard case .failed(.protocolViolation(let violation)) = reason else { return XCTFail("closed: \(reason)") }
        XCTAssertEqual(violation.reasonCode, .packetTooLarge)
        XCTAssertEqual(violation.decodeError?.kind, .packetTooLarge(size: (1 << 20) + 2 + 5 + 4, maximum: 256))
        try await peer.stop()
    }

    func testAFloodOfQoS1PublishesWhoseAcknowledgementsAreNeverReadStopsTheDeviceReading() async throws {
        let count = 50_000
        // The kernel holds about 64 KiB of PUBACKs (16,000) before they wait in the device; the flood sends 50,000.
        let peer = try await ScriptedBrokerPeer.start(on: group, receiveBufferSize: 16 * 1024)
        let watch = try await connect(
            MQTTConnectionConfiguration(version: .v3_1_1, clientIdentifier: "acks-1"), to: peer,
            sendBufferSize: 16 * 1024)
        try await watch.eventLoop.submit { watch.value.expected = count }.get()
        let broker = try await peer.connection()
        try await broker.setReading(false)

        // The device either stops reading (its PUBACKs are stuck) or takes the whole flood; only then does the
        // broker read again, so without back-pressure every PUBACK would have piled up in the device.
        async let flooding: Void = broker.flood(count: count, payloadSize: 100, qos: .atLeastOnce)
        try await watch.eventLoop.flatSubmit { watch.value.floodSettled.futureResult }.get()
        try await broker.setReading(true)
        try await flooding
        try await broker.waitForFrames(.puback, count: count)

        let (stopped, received, mostBuffered) = try await onLoop(watch) {
            ($0.stoppedReading, $0.received, $0.mostBufferedForWriting)
        }
        XCTAssertTrue(stopped, "the device kept reading while its PUBACKs could not be written")
        XCTAssertEqual(received, count)
        // The high-water mark plus the PUBACKs of one read loop (at most 4 × 64 KiB of 107-byte publishes).
        XCTAssertLessThan(mostBuffered, 64 * 1024, "up to \(mostBuffered) bytes waited to be written")
        try await peer.stop()
    }
}
