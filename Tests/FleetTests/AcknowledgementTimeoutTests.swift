import Fleet
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Scenario
import XCTest

/// A broker that accepts devices and then stops acknowledging: each device must give its connection up
/// within its PUBACK timeout, say why, and reconnect by its retry policy, as firmware does.
final class AcknowledgementTimeoutTests: XCTestCase {
    func testADeviceWhoseBrokerStopsAcknowledgingFailsWithinItsTimeoutAndRetries() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let peer = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ConnAckOnlyPeer())
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? peer.close().wait() }
        let port = try XCTUnwrap(peer.localAddress?.port)

        let outcome = try FleetIntegrationTests.run(broker: "mqtt://127.0.0.1:\(port)", """
            name: fleet-it-ack-timeout
            seed: 3
            groups:
              - name: sensors
                count: 2
                client-id: "fleet-it-ack-timeout-{index}"
                personality: custom
                keepalive: 30s
                retry: 200ms
                timeouts: { puback: 1s }
                telemetry: { topic: "fleet/it-ack-timeout/{clientId}", every: 300ms, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 3500ms, stop: abrupt }
            """)

        for device in outcome.plan.devices() {
            let events = outcome.events.filter { $0.device == device.clientID }
            let connected = events.filter { if case .connected = $0.kind { true } else { false } }
            let timeouts = events.compactMap { event -> (UInt64, String)? in
                guard case .disconnected(.networkError, let detail?) = event.kind,
                      detail.contains("no PUBACK within 1000 ms") else { return nil }
                return (event.at, detail)
            }
            XCTAssertGreaterThanOrEqual(timeouts.count, 2, "\(device.clientID): gave up, reconnected, gave up again")
            // Its first publish goes out on CONNACK, so the first give-up comes one timeout after connecting,
            // plus the event loop's timer slack; never before.
            let first = try XCTUnwrap(connected.first).at
            let givenUp = try XCTUnwrap(timeouts.first).0
            XCTAssertGreaterThanOrEqual(givenUp - first, 1_000_000_000, device.clientID)
            XCTAssertLessThan(givenUp - first, 2_000_000_000, "\(device.clientID): failed within its timeout")
            XCTAssertGreaterThanOrEqual(connected.count, 2, "\(device.clientID): reconnected by its retry policy")
            let sent = try XCTUnwrap(outcome.counts.first { $0.clientID == device.clientID })
            XCTAssertEqual(sent.acked, 0)
            XCTAssertGreaterThan(sent.sent, 0)
        }
    }
}

/// Answers CONNECT with CONNACK and PINGREQ with PINGRESP, and never acknowledges anything else.
private final class ConnAckOnlyPeer: ChannelInboundHandler {
    typealias InboundIn = MQTTFrame
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply: MQTTPacket
        switch unwrapInboundIn(data).type {
        case .connect: reply = .connack(ConnAckPacket())
        case .pingreq: reply = .pingresp
        default: return
        }
        var buffer = context.channel.allocator.buffer(capacity: 8)
        try? reply.write(to: &buffer, version: .v5_0)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
