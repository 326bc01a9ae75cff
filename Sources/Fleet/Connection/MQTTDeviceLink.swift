import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix

/// One device connection: `MQTTClient`'s `MQTTConnectionHandler` (with this object as its
/// event-loop-bound delegate) behind the device's link shaper. Created before the socket exists so the
/// device can hold it, and end it, while the connect is still in progress.
final class MQTTDeviceLink: MQTTConnectionDelegate, DeviceLink {
    /// Set at the end of `init` (the handler needs this object as its delegate).
    private(set) var handler: MQTTConnectionHandler!
    private let delegate: any DeviceLinkDelegate
    private let eventLoop: any EventLoop
    private let shaper: LinkShapingHandler
    private var channel: (any Channel)?
    private var shaperInstalled = false
    private var active = false
    private var wasConnected = false
    private var reported = false
    private var endRequestedBeforeActive: MQTTEnding?
    /// Set while a graceful end waits for the publishes in flight.
    private var drainBound: Scheduled<Void>?
    /// QoS 1/2 telemetry awaiting its acknowledgement, with when it was first handed to a connection.
    private var telemetryInFlight: [MQTTRequestID: NIODeadline]
    /// What the previous connection left, handed back if this one never starts.
    private let carried: DeviceSession?
    /// Publishes the carried session had in flight, resent if the broker kept the session.
    private let carriedInFlight: Int
    private var abandonedTelemetry = 0
    private var subscribeCallbacks: [MQTTRequestID: ([ReasonCode]) -> Void] = [:]

    /// `session`: what the device's previous connection left, when its session outlives connections.
    init(configuration: MQTTConnectionConfiguration, session: DeviceSession? = nil, eventLoop: any EventLoop,
         delegate: any DeviceLinkDelegate, shaper: LinkShapingHandler) {
        self.shaper = shaper
        self.eventLoop = eventLoop
        self.delegate = delegate
        carried = session
        telemetryInFlight = session?.telemetrySentAt ?? [:]
        carriedInFlight = session?.inFlightCount ?? 0
        handler = MQTTConnectionHandler(configuration: configuration, session: session?.client, delegate: self)
    }

    /// Connects through `MQTTConnector`; its failures reach us as `didClose` before CONNACK.
    func connect(to endpoint: MQTTEndpoint, tls: MQTTTLSContext?) {
        MQTTConnector.connect(handler, to: endpoint, tls: tls, on: eventLoop)
            .assumeIsolatedUnsafeUnchecked().whenSuccess { channel in
                // Runs before channelActive, so a shaped link is in place before CONNECT is written.
                self.channel = channel
                self.active = true
                if !self.shaper.currentShape.isUnshaped { self.installShaper() }
                if let ending = self.endRequestedBeforeActive {
                    self.endRequestedBeforeActive = nil
                    self.handler.close(ending == .silent ? .abrupt : ending)
                }
            }
    }

    /// The connection could not even be attempted (e.g. the TLS identity did not load).
    func failBeforeConnecting(_ error: MQTTClientError) {
        if !reported { delegate.linkKept(carried) }
        report(failure: Self.stage(of: error), error)
    }

    /// The shaper goes first in the pipeline (next to the socket, below TLS); added only to links that
    /// are shaped, so an idle unshaped device pays nothing for it.
    private func installShaper() {
        guard !shaperInstalled, let channel else { return }
        shaperInstalled = (try? channel.pipeline.syncOperations.addHandler(shaper, position: .first)) != nil
    }

    // MARK: DeviceLink

    func publish(_ message: MQTTMessage, telemetry: Bool) {
        let request: MQTTRequestID?
        do {
            request = try handler.publish(message)
        } catch .notConnected {
            // Between a drop and its close callback: firmware's publish() returns false and the message is gone.
            return
        } catch {
            delegate.linkRefusedPublish(topic: message.topic, error: error)
            return
        }
        guard let request, telemetry else { return }
        telemetryInFlight[request] = .now()
    }

    func subscribe(_ subscriptions: [Subscription], completed: @escaping ([ReasonCode]) -> Void) {
        do {
            subscribeCallbacks[try handler.subscribe(subscriptions)] = completed
        } catch {
            completed([])
        }
    }

    func end(_ ending: MQTTEnding, drain: Bool) {
        guard active else {
            endRequestedBeforeActive = ending
            return
        }
        guard drain, ending == .graceful, publishesOutstanding > 0 else {
            drainBound?.cancel()
            drainBound = nil
            handler.close(ending)
            return
        }
        guard drainBound == nil else { return }
        drainBound = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.drainLimit) {
            self.drainBound = nil
            self.handler.close(.graceful)
        }
    }

    /// How long a draining end waits for acknowledgements: within the fleet's stop grace.
    static let drainLimit = TimeAmount.seconds(2)

    private var publishesOutstanding: Int { handler.publishesInFlight + handler.queuedPublishCount }

    func shape(_ shape: LinkShape) {
        if !shaperInstalled && shape.isUnshaped { return }
        installShaper()
        shaper.apply(shape)
    }

    // MARK: MQTTConnectionDelegate

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        wasConnected = true
        delegate.linkConnected(info: info, timings: connection.timings,
                               resent: info.sessionPresent ? carriedInFlight : 0, abandoned: abandonedTelemetry)
    }

    func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {
        delegate.linkReceived(publish)
    }

    func connection(_ connection: MQTTConnectionHandler, didDiscardOversizedPacket report: MQTTOversizedPacketDiscarded) {
        delegate.linkDiscarded(report)
    }

    func connection(_ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
                    result: Result<MQTTRequestOutcome, MQTTClientError>) {
        if let sent = telemetryInFlight.removeValue(forKey: request) {
            if case .failure(.sessionNotResumed) = result { abandonedTelemetry += 1 }
            if case .success(.published(let code)) = result, !code.isFailure {
                delegate.linkAcknowledgedTelemetry(latencyNs: UInt64(max((NIODeadline.now() - sent).nanoseconds, 0)))
            }
        } else if let callback = subscribeCallbacks.removeValue(forKey: request) {
            if case .success(.subscribed(let codes)) = result { callback(codes) } else { callback([]) }
        }
        if drainBound != nil, publishesOutstanding == 0 {
            drainBound?.cancel()
            drainBound = nil
            handler.close(.graceful)
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        drainBound?.cancel()
        drainBound = nil
        if !reported {
            delegate.linkKept(connection.sessionAfterClose.map { client in
                let pending = Set(client.pendingRequests)
                return DeviceSession(client: client, telemetrySentAt: telemetryInFlight.filter { pending.contains($0.key) })
            })
        }
        if wasConnected {
            guard !reported else { return }
            reported = true
            delegate.linkClosed(reason)
        } else {
            switch reason {
            case .failed(let error): report(failure: Self.stage(of: error), error)
            case .ended: report(failure: .connack, .connectionClosed)
            }
        }
    }

    private func report(failure stage: ConnectStage, _ error: MQTTClientError) {
        guard !reported else { return }
        reported = true
        delegate.linkFailed(stage: stage, error: error)
    }

    static func stage(of error: MQTTClientError) -> ConnectStage {
        switch error {
        case .tcpConnectFailed, .connectTimeout: .tcp
        case .tls, .tlsConfiguration: .tls
        default: .connack
        }
    }
}
