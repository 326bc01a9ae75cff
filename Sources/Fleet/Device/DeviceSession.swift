import MQTTClient
import NIOCore

/// What a device's persistent session carries from one connection to the next: the client's half of the
/// session and, for its telemetry still unacknowledged, when each message was first handed to a connection,
/// so a resent message is acknowledged once and its latency counts from its first send.
struct DeviceSession {
    var client: MQTTClientSession
    var telemetrySentAt: [MQTTRequestID: NIODeadline]

    /// Publishes the next connection resends if the broker kept the session.
    var inFlightCount: Int { client.pendingPublishCount }
}
