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
    func end(_ ending: MQTTEnding)
    /// Shapes this connection's socket from now on.
    func shape(_ shape: LinkShape)
}

/// How a link reports to its device.
protocol DeviceLinkDelegate: AnyObject {
    func linkConnected(info: MQTTConnAckInfo, timings: MQTTPhaseTimings)
    func linkFailed(stage: ConnectStage, error: MQTTClientError)
    /// The connection ended after CONNACK (or was ended on purpose).
    func linkClosed(_ reason: MQTTCloseReason)
    /// A telemetry publish was acknowledged with a success code (PUBACK, or PUBCOMP at QoS 2),
    /// `latencyNs` after it was handed to the connection.
    func linkAcknowledgedTelemetry(latencyNs: UInt64)
    /// An application message arrived on one of the device's subscriptions (e.g. its configuration, a command).
    func linkReceived(_ message: PublishPacket)
}
