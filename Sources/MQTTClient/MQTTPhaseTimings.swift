import NIOCore

/// When each phase of setting up a connection completed, for latency histograms and the probe.
/// Durations are differences of these deadlines (monotonic clock).
public struct MQTTPhaseTimings: Sendable, Hashable {
    /// When the connector started the TCP connect.
    public var connectStarted: NIODeadline?
    public var tcpConnected: NIODeadline?
    /// When the TLS handshake completed (`nil` on plain TCP).
    public var tlsHandshakeCompleted: NIODeadline?
    /// When the WebSocket upgrade completed (`nil` unless MQTT goes over WebSocket).
    public var webSocketUpgraded: NIODeadline?
    public var connAckReceived: NIODeadline?

    public init(connectStarted: NIODeadline? = nil) {
        self.connectStarted = connectStarted
    }

    /// Start of the connect to TCP established.
    public var tcpDuration: TimeAmount? { duration(from: connectStarted, to: tcpConnected) }
    /// TCP established to TLS handshake completed.
    public var tlsDuration: TimeAmount? { duration(from: tcpConnected, to: tlsHandshakeCompleted) }
    /// TLS (or TCP) up to the server's `101 Switching Protocols`: the HTTP upgrade of MQTT over WebSocket.
    public var webSocketUpgradeDuration: TimeAmount? {
        duration(from: tlsHandshakeCompleted ?? tcpConnected, to: webSocketUpgraded)
    }
    /// CONNECT written (after the WebSocket upgrade, TLS, or TCP) to CONNACK received.
    public var connAckDuration: TimeAmount? {
        duration(from: webSocketUpgraded ?? tlsHandshakeCompleted ?? tcpConnected, to: connAckReceived)
    }
    /// Start of the connect to CONNACK received.
    public var totalDuration: TimeAmount? { duration(from: connectStarted, to: connAckReceived) }

    private func duration(from start: NIODeadline?, to end: NIODeadline?) -> TimeAmount? {
        guard let start, let end else { return nil }
        return end - start
    }
}
