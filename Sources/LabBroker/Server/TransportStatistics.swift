/// What the server's transports counted, next to the engine's `BrokerStatistics`.
public struct TransportStatistics: Sendable, Hashable {
    /// TCP connections accepted on every listener (before TLS or WebSocket handshakes).
    public var connectionsAccepted = 0
    /// Connections handed to the engine (handshakes done).
    public var connectionsOpened = 0
    /// QoS 0 deliveries dropped because the subscriber's outbound backlog exceeded its bound.
    public var qos0DeliveriesDropped = 0
    /// Connections closed because their client stopped reading and the backlog hit the hard bound.
    public var connectionsClosedForBacklog = 0
    /// TLS handshakes that failed (untrusted or missing client certificate, protocol mismatch…).
    public var tlsHandshakesFailed = 0
    /// HTTP requests on a WebSocket listener that were not upgraded (wrong path, no `mqtt` subprotocol).
    public var webSocketUpgradesRefused = 0
    /// Packets from the engine that MQTTCore refused to encode (an engine defect); they were not sent.
    public var packetsNotEncodable = 0

    public init() {}
}
