import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import XCTest

/// The fleet's way of driving connections: handler + delegate on the event loops, no Task per
/// connection. Checks that many connections come up, publish and end, and prints how long it took.
final class ManyConnectionsIntegrationTests: XCTestCase {
    /// Publishes one QoS 1 message once connected, then ends gracefully when it is acknowledged.
    final class TelemetryDevice: MQTTConnectionDelegate {
        let topic: String
        let finished: EventLoopPromise<MQTTCloseReason>
        var acknowledged = false

        init(topic: String, finished: EventLoopPromise<MQTTCloseReason>) {
            self.topic = topic
            self.finished = finished
        }

        func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
            do {
                try connection.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "1"), qos: .atLeastOnce))
            } catch {
                connection.close(.abrupt)
            }
        }

        func connection(
            _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
            result: Result<MQTTRequestOutcome, MQTTClientError>
        ) {
            // mosquitto answers 0x10 (No matching subscribers) when nobody listens: still a success.
            if case .success(.published(let code)) = result, !code.isFailure { acknowledged = true }
            connection.close(.graceful)
        }

        func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
            finished.succeed(acknowledged ? reason : .failed(.connectionClosed))
        }
    }

    func testFiveHundredDevicesConnectPublishAndEndGracefully() async throws {
        let count = 500
        let group = MultiThreadedEventLoopGroup.singleton
        let run = TestBroker.uniqueID("many")
        let start = NIODeadline.now()
        var futures: [EventLoopFuture<MQTTCloseReason>] = []
        for index in 0..<count {
            let eventLoop = group.next()
            let finished = eventLoop.makePromise(of: MQTTCloseReason.self)
            futures.append(finished.futureResult)
            eventLoop.execute {
                let device = TelemetryDevice(topic: "fleet/\(run)/\(index)", finished: finished)
                let handler = MQTTConnectionHandler(
                    configuration: MQTTConnectionConfiguration(clientIdentifier: "\(run)-\(index)"), delegate: device)
                _ = MQTTConnector.connect(handler, to: TestBroker.plain, on: eventLoop)
            }
        }
        var reasons: [MQTTCloseReason] = []
        for future in futures {
            reasons.append(try await future.get())
        }
        let elapsed = NIODeadline.now() - start
        XCTAssertEqual(reasons.filter { $0 == .ended(.graceful) }.count, count, "\(Set(reasons.map(\.description)))")
        print("\(count) connect + QoS 1 publish + graceful close: \(elapsed.nanoseconds / 1_000_000) ms")
    }
}
