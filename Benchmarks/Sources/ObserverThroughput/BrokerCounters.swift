import MQTTClient
import MQTTCore
import NIOCore

/// mosquitto's own PUBLISH counters (`$SYS/broker/publish/messages/{received,sent,dropped}`,
/// refreshed every `sys_interval`, here 1 s), read through a connection of their own. They split
/// a backlog into its two hops: publishers → broker (received lags sent) and broker → observer
/// (the observer's count lags the broker's sent).
final class BrokerCounters: MQTTConnectionDelegate {
    struct Values: Sendable {
        var received: UInt64 = 0
        var sent: UInt64 = 0
        var dropped: UInt64 = 0
    }

    private static let prefix = "$SYS/broker/publish/messages/"
    private(set) var values = Values()
    let subscribed: EventLoopPromise<Void>

    private init(subscribed: EventLoopPromise<Void>) {
        self.subscribed = subscribed
    }

    /// Connects on `loop` and returns once the subscription is granted.
    static func connect(port: Int, loop: any EventLoop, runID: String) async throws -> NIOLoopBound<BrokerCounters> {
        let (bound, ready) = try await loop.submit {
            let counters = BrokerCounters(subscribed: loop.makePromise())
            let handler = MQTTConnectionHandler(
                configuration: MQTTConnectionConfiguration(version: .v3_1_1, clientIdentifier: "bench-sys-\(runID)"),
                delegate: counters)
            let subscribed = counters.subscribed
            MQTTConnector.connect(handler, to: MQTTEndpoint(host: "127.0.0.1", port: port), on: loop)
                .whenFailure { subscribed.fail($0) }
            return (NIOLoopBound(counters, eventLoop: loop), counters.subscribed.futureResult)
        }.get()
        try await ready.get()
        return bound
    }

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        do {
            _ = try connection.subscribe([Subscription(filter: Self.prefix + "+", qos: .atMostOnce)])
        } catch {
            subscribed.fail(error)
        }
    }

    func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>
    ) {
        subscribed.completeWith(result.map { _ in () }.mapError { $0 as any Error })
    }

    func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {
        guard publish.topic.hasPrefix(Self.prefix),
              let value = UInt64(String(buffer: publish.payload).trimmingSpaces) else { return }
        switch publish.topic.dropFirst(Self.prefix.count) {
        case "received": values.received = value
        case "sent": values.sent = value
        case "dropped": values.dropped = value
        default: break
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        subscribed.fail(BenchError("$SYS connection closed: \(reason)"))
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let trimmed = drop { $0 == " " || $0 == "\n" }
        return trimmed.prefix { $0 != " " && $0 != "\n" }
    }
}
