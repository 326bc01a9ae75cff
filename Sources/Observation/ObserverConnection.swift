#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import Verification

/// What every observer connection of a run shares, on the observers' one event loop: the sink that
/// counts telemetry and records wills. One sink, because shared subscriptions spread one device's
/// messages over several connections and loss is only exact when they meet in one tracker.
final class ObservationState {
    var sink: ObserverSink
    let clock: RunClock
    /// Every PUBLISH delivered so far, for the live view's rate.
    var delivered: UInt64 = 0

    init(sink: ObserverSink, clock: RunClock) {
        self.sink = sink
        self.clock = clock
    }
}

/// One observer connection: subscribes once connected, then hands every delivery to the shared
/// sink without copying topic or payload.
final class ObserverConnection: MQTTConnectionDelegate {
    private let state: ObservationState
    private let subscriptions: [Subscription]
    private let ready: EventLoopPromise<Void>
    let closed: EventLoopPromise<MQTTCloseReason>
    private var subscribeRequest: MQTTRequestID?

    init(state: ObservationState, subscriptions: [Subscription], ready: EventLoopPromise<Void>,
         closed: EventLoopPromise<MQTTCloseReason>) {
        self.state = state
        self.subscriptions = subscriptions
        self.ready = ready
        self.closed = closed
    }

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        do {
            subscribeRequest = try connection.subscribe(subscriptions)
        } catch {
            ready.fail(error)
            connection.close(.graceful)
        }
    }

    func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>
    ) {
        guard request == subscribeRequest else { return }
        switch result {
        case .success(.subscribed(let codes)):
            let refused = zip(subscriptions, codes).filter { $0.1.isFailure }
            if refused.isEmpty {
                ready.succeed()
            } else {
                ready.fail(ObservationError.subscriptionRefused(refused.map { ($0.0.filter, $0.1) }))
                connection.close(.graceful)
            }
        case .success:
            ready.succeed()
        case .failure(let error):
            ready.fail(error)
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {
        let receivedAt = state.clock.now()
        state.delivered &+= 1
        let wallClock = Self.unixNanoseconds()
        var topic = publish.topic
        topic.withUTF8 { topicBytes in
            publish.payload.withUnsafeReadableBytes { payload in
                state.sink.received(
                    topic: UnsafeRawBufferPointer(topicBytes), payload: payload, retained: publish.retain,
                    receivedAtNs: receivedAt, timestampClockNowNs: wallClock,
                    userProperty: { publish.properties.userProperty($0) })
            }
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        ready.fail(ObservationError.closedBeforeSubscribing(reason))
        closed.succeed(reason)
    }

    /// The clock `{timestamp}` is written with (Unix time), for end-to-end latency.
    static func unixNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// Why the observers could not watch the run; the run does not start without them.
public enum ObservationError: Error, CustomStringConvertible {
    case subscriptionRefused([(filter: String, reason: ReasonCode)])
    case closedBeforeSubscribing(MQTTCloseReason)

    public var description: String {
        switch self {
        case .subscriptionRefused(let refused):
            let list = refused.map { "\($0.filter) (\($0.reason))" }.joined(separator: ", ")
            return "the broker refused the observers' subscriptions: \(list); give the observers an identity that may read the devices' topics (observer: credentials / broker)"
        case .closedBeforeSubscribing(let reason):
            return "an observer connection closed before it had subscribed: \(reason)"
        }
    }
}
