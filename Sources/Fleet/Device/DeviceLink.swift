import Ledger
import MQTTClient
import MQTTCore
import NIOCore

/// What a virtual device needs from one MQTT connection. Implemented over `MQTTClient`'s connection
/// handler by `MQTTDeviceLink`; everything is called and calls back on the device's event loop.
protocol DeviceLink: AnyObject {
    /// Publishes. A `telemetry` publish at QoS 1/2 is reported to the delegate's
    /// `linkAcknowledgedTelemetry` when the broker acknowledges it (no closure per message).
    func publish(_ message: MQTTMessage, telemetry: Bool)
    /// Subscribes; `completed` receives the reason code per filter (empty on failure).
    func subscribe(_ subscriptions: [Subscription], completed: @escaping ([ReasonCode]) -> Void)
    /// Ends the connection. `drain`: a graceful end waits (boundedly) for the publishes in flight to
    /// complete first, as a firmware that shuts down cleanly does, so the run's stop loses nothing itself.
    func end(_ ending: MQTTEnding, drain: Bool)
    /// Shapes this connection's socket from now on.
    func shape(_ shape: LinkShape)
}

/// How a link reports to its device.
protocol DeviceLinkDelegate: AnyObject {
    /// `resent`: publishes of the carried session sent again (DUP or PUBREL) because the broker kept it;
    /// `abandoned`: telemetry the session had in flight, discarded because the broker did not.
    func linkConnected(info: MQTTConnAckInfo, timings: MQTTPhaseTimings, resent: Int, abandoned: Int)
    func linkFailed(stage: ConnectStage, error: MQTTClientError)
    /// The connection ended after CONNACK (or was ended on purpose).
    func linkClosed(_ reason: MQTTCloseReason)
    /// Called once the connection is gone, before `linkClosed`/`linkFailed`, with what the session carries
    /// to the next connection (nil: the session ends with this one).
    func linkKept(_ session: DeviceSession?)
    /// The client refused a publish before sending it (over the broker's Maximum Packet Size, QoS or retain
    /// not available, …): a run-time error of the scenario, counted rather than silently dropped.
    func linkRefusedPublish(topic: String, error: MQTTClientError)
    /// The broker sent a packet over the device's buffer, which its library dropped or cut short.
    func linkDiscarded(_ report: MQTTOversizedPacketDiscarded)
    /// A telemetry publish was acknowledged with a success code (PUBACK, or PUBCOMP at QoS 2),
    /// `latencyNs` after it was handed to the connection.
    func linkAcknowledgedTelemetry(latencyNs: UInt64)
    /// An application message arrived on one of the device's subscriptions (e.g. its configuration, a command).
    func linkReceived(_ message: PublishPacket)
}
