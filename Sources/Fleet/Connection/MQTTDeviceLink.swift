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
    private let connectStarted: NIODeadline
    private var active = false
    private var wasConnected = false
    private var reported = false
    private var endRequestedBeforeActive: MQTTEnding?
    private var publishCallbacks: [MQTTRequestID: (Bool) -> Void] = [:]
    private var subscribeCallbacks: [MQTTRequestID: ([ReasonCode]) -> Void] = [:]

    init(configuration: MQTTConnectionConfiguration, shaper: LinkShapingHandler, eventLoop: any EventLoop,
         delegate: any DeviceLinkDelegate) {
        self.shaper = shaper
        self.eventLoop = eventLoop
        self.delegate = delegate
        connectStarted = eventLoop.now
        handler = MQTTConnectionHandler(configuration: configuration, delegate: self)
    }

    /// Connects; a connect that fails before the channel exists is reported as a TCP failure.
    func connect(bootstrap: ClientBootstrap, host: String, port: Int) {
        bootstrap.connect(host: host, port: port).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .success:
                self.active = true
                if let ending = self.endRequestedBeforeActive {
                    self.endRequestedBeforeActive = nil
                    self.handler.close(ending == .silent ? .abrupt : ending)
                }
            case .failure(let error):
                self.report(failure: .tcp, .tcpConnectFailed(address: "\(host):\(port)", reason: "\(error)"))
            }
        }
    }

    // MARK: DeviceLink

    func publish(_ message: MQTTMessage, acknowledged: @escaping (Bool) -> Void) {
        do {
            if let request = try handler.publish(message) { publishCallbacks[request] = acknowledged }
        } catch {
            acknowledged(false)
        }
    }

    func subscribe(_ subscriptions: [Subscription], completed: @escaping ([ReasonCode]) -> Void) {
        do {
            subscribeCallbacks[try handler.subscribe(subscriptions)] = completed
        } catch {
            completed([])
        }
    }

    func end(_ ending: MQTTEnding) {
        guard active else {
            endRequestedBeforeActive = ending
            return
        }
        handler.close(ending)
    }

    func shape(_ shape: LinkShape) {
        shaper.apply(shape)
    }

    // MARK: MQTTConnectionDelegate

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        wasConnected = true
        var timings = connection.timings
        timings.connectStarted = connectStarted
        delegate.linkConnected(info: info, timings: timings)
    }

    func connection(_ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
                    result: Result<MQTTRequestOutcome, MQTTClientError>) {
        if let callback = publishCallbacks.removeValue(forKey: request) {
            if case .success(.published(let code)) = result { callback(!code.isFailure) } else { callback(false) }
        } else if let callback = subscribeCallbacks.removeValue(forKey: request) {
            if case .success(.subscribed(let codes)) = result { callback(codes) } else { callback([]) }
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
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
