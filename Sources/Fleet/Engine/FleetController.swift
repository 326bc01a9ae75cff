import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import Scenario

/// The fleet's own publisher for timeline `publish` steps (e.g. new settings on devices'
/// configuration topics): one connection, opened on first use, living on the fleet's control loop.
/// Its connection is not logged (it is not a device); only a failure is, run-wide.
final class FleetController: DeviceLinkDelegate {
    let clientID: String
    private let connections: FleetConnections
    private let configuration: MQTTConnectionConfiguration
    private let eventLoop: any EventLoop
    private let sink: any RunEventSink
    private let clock: RunClock
    private var link: MQTTDeviceLink?
    private var connected = false
    private var waiting: [MQTTMessage] = []

    init(plan: Plan, connections: FleetConnections, eventLoop: any EventLoop, sink: any RunEventSink, clock: RunClock,
         clientID: String) {
        self.clientID = clientID
        self.connections = connections
        self.eventLoop = eventLoop
        self.sink = sink
        self.clock = clock
        var username: String?
        var password: ByteBuffer?
        if case .usernamePassword(let user, let secret) = plan.observer.credentials {
            var random = SeededGenerator(seed: plan.seed)
            username = user.binding(clientID: clientID, index: 0, group: "").render(
                sequence: 0, timestampMilliseconds: 0, uptimeMilliseconds: 0, random: &random)
            password = ByteBuffer(string: secret.binding(clientID: clientID, index: 0, group: "").render(
                sequence: 0, timestampMilliseconds: 0, uptimeMilliseconds: 0, random: &random))
        }
        configuration = MQTTConnectionConfiguration(
            version: plan.observer.protocolVersion == .v5 ? .v5_0 : .v3_1_1, clientIdentifier: clientID,
            keepAliveSeconds: 60, username: username, password: password,
            connAckTimeout: TimeAmount(plan.broker.connectTimeout))
    }

    /// Publishes now, or as soon as the controller's connection is up.
    func publish(_ messages: [MQTTMessage]) {
        guard connected, let link else {
            waiting += messages
            if link == nil {
                link = connections.openPlain(configuration: configuration, on: eventLoop, delegate: self)
            }
            return
        }
        for message in messages { link.publish(message, telemetry: false) }
    }

    func stop() {
        link?.end(.graceful, drain: true)
    }

    func linkConnected(info: MQTTConnAckInfo, timings: MQTTPhaseTimings, resent: Int, abandoned: Int) {
        connected = true
        let pending = waiting
        waiting.removeAll()
        publish(pending)
    }

    func linkFailed(stage: ConnectStage, error: MQTTClientError) {
        // Run-wide (no device): the controller is not one of the plan's devices.
        sink.record(RunEvent(at: clock.now(), kind: .connectFailed(
            stage: stage, reason: "controller \(clientID): \(error) (\(waiting.count) publishes dropped)")))
        waiting.removeAll()
        link = nil
    }

    func linkClosed(_ reason: MQTTCloseReason) {
        connected = false
        link = nil
    }

    func linkAcknowledgedTelemetry(latencyNs: UInt64) {}

    /// The controller's buffer is MQTT's own: nothing is ever over it.
    func linkDiscarded(_ report: MQTTOversizedPacketDiscarded) {}

    /// The controller's session is clean: nothing to carry.
    func linkKept(_ session: DeviceSession?) {}

    func linkRefusedPublish(topic: String, error: MQTTClientError) {
        sink.record(RunEvent(at: clock.now(), kind: .publishRefused(
            topic: topic, reason: "controller \(clientID): \(error)")))
    }

    func linkReceived(_ message: PublishPacket) {}
}
