/// How long a device waits for each acknowledgement before it declares the connection failed (naming the
/// acknowledgement it missed) and reconnects by its retry policy, as firmware whose broker went quiet does.
///
/// Libraries that resend on the same connection instead (esp-mqtt's outbox, M2Mqtt's inflight queue) are
/// modelled by the total time they keep trying; see `PersonalityDefaults` for each library's numbers.
public struct DeviceTimeouts: Sendable, Hashable {
    /// From CONNECT sent to CONNACK received.
    public var connAck: Duration
    /// From SUBSCRIBE sent to its SUBACK.
    public var subAck: Duration
    /// From a QoS 1/2 PUBLISH (or PUBREL) sent to its PUBACK, PUBREC or PUBCOMP.
    public var publishAck: Duration
    /// From PINGREQ sent to PINGRESP.
    public var pingResp: Duration

    public init(connAck: Duration, subAck: Duration, publishAck: Duration, pingResp: Duration) {
        self.connAck = connAck
        self.subAck = subAck
        self.publishAck = publishAck
        self.pingResp = pingResp
    }

    /// The longest wait a scenario may set: beyond it a run would look hung rather than test anything.
    public static let maximum: Duration = .seconds(3600)
}

extension PersonalityDefaults {
    /// The library's waits for a device with `keepAlive`: every library here times PINGRESP as a share of the
    /// keep-alive (PubSubClient and M2Mqtt one period, esp-mqtt half), so that share follows a group's own keep-alive.
    public func timeouts(keepAlive: Duration) -> DeviceTimeouts {
        var scaled = timeouts
        // Keep-alives are whole seconds (MQTT carries them so), which keeps the ratio exact.
        let seconds = keepAlive.components.seconds, defaultSeconds = self.keepAlive.components.seconds
        if seconds > 0, defaultSeconds > 0 {
            scaled.pingResp = timeouts.pingResp * seconds / defaultSeconds
        }
        return scaled
    }
}
