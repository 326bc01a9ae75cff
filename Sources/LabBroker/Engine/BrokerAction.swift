import MQTTCore

/// Identifies one network connection to the engine; assigned by the server, never reused.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "#\(rawValue)" }
}

/// What the transport knows of a connection before its CONNECT.
public struct ConnectionFacts: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable { case tcp, tls, webSocket = "ws", secureWebSocket = "wss" }

    public var transport: Transport
    /// Subject CN of the verified client certificate (mutual TLS); nil without one.
    public var certificateCommonName: String?
    /// `host:port` of the peer, for logs.
    public var remoteAddress: String

    public init(transport: Transport, certificateCommonName: String? = nil, remoteAddress: String = "") {
        self.transport = transport
        self.certificateCommonName = certificateCommonName
        self.remoteAddress = remoteAddress
    }

    public var isEncrypted: Bool { transport == .tls || transport == .secureWebSocket }
}

/// What the engine asks the network to do, in order.
public enum BrokerAction: Sendable {
    /// Encode and write `packet` to the connection (flushed by the server once per batch).
    case send(ConnectionID, MQTTPacket, version: MQTTProtocolVersion)
    /// Close the connection after what was sent before it. The engine has already forgotten it.
    case close(ConnectionID)
}

/// Running totals of the broker.
public struct BrokerStatistics: Sendable, Hashable {
    public var connections = 0
    public var sessions = 0
    public var subscriptions = 0
    public var retainedMessages = 0
    public var publishesReceived = 0
    public var publishesSent = 0
    public var willsPublished = 0
    public var connectsRefused = 0
    /// Connections ended because the client had more QoS 2 PUBLISHes unreleased than the Receive Maximum
    /// (0x93): a client that ignores the announced window, which a test can assert never happens.
    public var receiveMaximumExceeded = 0
    /// Packets larger than the Maximum Packet Size (the connection closed, 0x95 on MQTT 5), CONNECT included.
    public var packetsTooLarge = 0
    /// Inbound PUBLISHes that named their topic by a topic alias alone (empty topic), so a test can see
    /// that a client used the aliases it was allowed.
    public var publishesByTopicAlias = 0

    public init() {}
}
