import Fleet
import Foundation
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import Scenario
import Verification

/// The run's observers: MQTT connections of their own that subscribe to the devices' telemetry,
/// will and status topics *before* the first device connects, so nothing is missed, and count
/// every delivery in one `ObserverSink`.
///
/// All observer connections live on one event loop and share one sink: with more than one
/// connection the subscriptions are shared (`$share/fleet-observers/…`), so each message reaches
/// exactly one observer and loss, duplicates and wills are counted exactly once. A plan with no
/// topics to watch gets no observer connection at all.
public final class Observers: Sendable {
    private let loop: any EventLoop
    private let handlers: [NIOLoopBound<MQTTConnectionHandler>]
    private let closed: [EventLoopFuture<MQTTCloseReason>]
    private let state: NIOLoopBound<ObservationState>
    private let wills: WillTally

    private init(loop: any EventLoop, handlers: [NIOLoopBound<MQTTConnectionHandler>],
                 closed: [EventLoopFuture<MQTTCloseReason>], state: NIOLoopBound<ObservationState>, wills: WillTally) {
        self.loop = loop
        self.handlers = handlers
        self.closed = closed
        self.state = state
        self.wills = wills
    }

    /// Connects the plan's observers and returns once every one has its subscriptions granted.
    public static func start(
        plan: Plan, roster: ObserverRoster, ledger: any RunEventSink, clock: RunClock, group: any EventLoopGroup
    ) async throws -> Observers {
        let spec = plan.observer
        let connections = FleetConnections.fleetOwn(plan)
        let tls = try connections.tls.map { try $0.makeContext() }
        let qos = QoS(rawValue: UInt8(spec.qos)) ?? .atLeastOnce
        let shared = spec.connections > 1 || spec.sharedSubscription
        let subscriptions = spec.filters.map { filter in
            Subscription(filter: shared ? "$share/fleet-observers/" + filter : filter, qos: qos)
        }
        let runID = String(UInt32(truncatingIfNeeded: clock.now() ^ UInt64(getpid())), radix: 36)
        let endpoint = connections.endpoint()
        let loop = group.next()
        let wills = WillTally(ledger: ledger)
        let (state, readiness, handlers, closed) = try await loop.submit {
            let state = ObservationState(sink: ObserverSink(roster: roster, ledger: wills), clock: clock)
            var readiness: [EventLoopFuture<Void>] = []
            var handlers: [NIOLoopBound<MQTTConnectionHandler>] = []
            var closed: [EventLoopFuture<MQTTCloseReason>] = []
            // Nothing to watch (a connect-only load test): no observer connection, an empty sink.
            let count = spec.filters.isEmpty ? 0 : max(1, spec.connections)
            for number in stride(from: 1, through: count, by: 1) {
                let ready = loop.makePromise(of: Void.self)
                let closedPromise = loop.makePromise(of: MQTTCloseReason.self)
                let delegate = ObserverConnection(state: state, subscriptions: subscriptions, ready: ready,
                                                  closed: closedPromise)
                let handler = MQTTConnectionHandler(
                    configuration: Self.configuration(spec, clientID: "fleet-observer-\(runID)-\(number)"),
                    delegate: delegate)
                MQTTConnector.connect(handler, to: endpoint, tls: tls, on: loop).whenFailure { ready.fail($0) }
                readiness.append(ready.futureResult)
                handlers.append(NIOLoopBound(handler, eventLoop: loop))
                closed.append(closedPromise.futureResult)
            }
            return (NIOLoopBound(state, eventLoop: loop), readiness, handlers, closed)
        }.get()
        let observers = Observers(loop: loop, handlers: handlers, closed: closed, state: state, wills: wills)
        do {
            try await EventLoopFuture.andAllSucceed(readiness, on: loop).get()
        } catch {
            _ = await observers.finish()
            throw error
        }
        return observers
    }

    /// What the observers have received so far (messages on any topic, and wills among them), for
    /// live views.
    public func liveCounts() -> EventLoopFuture<(delivered: UInt64, wills: UInt64)> {
        loop.submit { [state, wills] in (state.value.delivered, wills.count) }
    }

    /// Disconnects the observers gracefully and returns everything they counted.
    public func finish() async -> ObserverTotals {
        let sink = try? await loop.flatSubmit { [handlers, closed, state, loop] in
            handlers.forEach { $0.value.close(.graceful) }
            return EventLoopFuture.whenAllComplete(closed, on: loop).map { _ in state.value.sink }
        }.get()
        return ObserverSink.merged(sink.map { [$0] } ?? [])
    }

    static func configuration(_ spec: ObserverSpec, clientID: String) -> MQTTConnectionConfiguration {
        var username: String?
        var password: ByteBuffer?
        if case .usernamePassword(let user, let secret) = spec.credentials {
            username = user.text ?? "\(user)"
            password = ByteBuffer(string: secret.text ?? "\(secret)")
        }
        return MQTTConnectionConfiguration(
            version: spec.protocolVersion == .v3_1_1 ? .v3_1_1 : .v5_0,
            clientIdentifier: clientID,
            keepAliveSeconds: 30,
            username: username,
            password: password,
            receiveMaximum: spec.protocolVersion == .v3_1_1 ? nil : 65_535)
    }
}
