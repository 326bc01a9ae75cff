import MQTTCore
import NIOCore

/// What one connection says in CONNECT and how it behaves afterwards (timeouts, topic aliases,
/// limits it announces). Plain values, so a fleet can derive thousands of them from one template.
public struct MQTTConnectionConfiguration: Sendable, Hashable {
    public var version: MQTTProtocolVersion
    /// May be empty on MQTT 5 / clean start to let the broker assign one (see `MQTTConnAckInfo`).
    public var clientIdentifier: String
    public var cleanStart: Bool
    /// MQTT 5 Session Expiry Interval in seconds; `nil` leaves it out (session ends with the connection).
    public var sessionExpiryInterval: UInt32?
    /// Keep alive in seconds; 0 disables PINGREQ (unless the server's Server Keep Alive overrides it).
    public var keepAliveSeconds: UInt16
    public var username: String?
    public var password: ByteBuffer?
    /// The Last Will, with its MQTT 5 properties (will delay, message expiry, content type, …).
    public var will: Will?
    /// MQTT 5 Receive Maximum we announce: QoS 1/2 publishes the server may have unacknowledged to us.
    public var receiveMaximum: UInt16?
    /// Largest packet we accept. Announced in MQTT 5 CONNECT when set; larger inbound packets are a
    /// protocol violation. `nil`: MQTT's own maximum, nothing announced.
    /// Enforced for MQTT 3.1.1 too (a firmware's buffer does not depend on the version), where nothing
    /// announces it, so the broker cannot know; `oversizedInbound` says what happens then.
    public var maximumPacketSize: UInt32?
    /// What a packet larger than `inboundPacketSizeLimit` does to the connection (the firmware's choice).
    public var oversizedInbound: OversizedPacketHandling
    /// MQTT 5 Topic Alias Maximum we announce for inbound publishes (0: none).
    public var topicAliasMaximum: UInt16
    /// Use outbound topic aliases (MQTT 5), never more than the server's Topic Alias Maximum.
    public var useTopicAliases: Bool
    /// Further CONNECT properties (user properties, request problem information, …).
    public var additionalConnectProperties: MQTTProperties
    /// How long to wait for CONNACK after CONNECT.
    public var connAckTimeout: TimeAmount
    /// How long to wait for PINGRESP; `nil`: the keep-alive interval.
    public var pingTimeout: TimeAmount?
    /// How long to wait for SUBACK or UNSUBACK before giving up on the connection.
    public var subAckTimeout: TimeAmount
    /// How long to wait for PUBACK, PUBREC or PUBCOMP before giving up on the connection.
    public var publishAckTimeout: TimeAmount

    public init(
        version: MQTTProtocolVersion = .v5_0,
        clientIdentifier: String,
        cleanStart: Bool = true,
        sessionExpiryInterval: UInt32? = nil,
        keepAliveSeconds: UInt16 = 60,
        username: String? = nil,
        password: ByteBuffer? = nil,
        will: Will? = nil,
        receiveMaximum: UInt16? = nil,
        maximumPacketSize: UInt32? = nil,
        topicAliasMaximum: UInt16 = 0,
        useTopicAliases: Bool = false,
        additionalConnectProperties: MQTTProperties = [],
        connAckTimeout: TimeAmount = .seconds(10),
        pingTimeout: TimeAmount? = nil,
        subAckTimeout: TimeAmount = .seconds(30),
        publishAckTimeout: TimeAmount = .seconds(30),
        oversizedInbound: OversizedPacketHandling = .closeConnection
    ) {
        self.version = version
        self.clientIdentifier = clientIdentifier
        self.cleanStart = cleanStart
        self.sessionExpiryInterval = sessionExpiryInterval
        self.keepAliveSeconds = keepAliveSeconds
        self.username = username
        self.password = password
        self.will = will
        self.receiveMaximum = receiveMaximum
        self.maximumPacketSize = maximumPacketSize
        self.topicAliasMaximum = topicAliasMaximum
        self.useTopicAliases = useTopicAliases
        self.additionalConnectProperties = additionalConnectProperties
        self.connAckTimeout = connAckTimeout
        self.pingTimeout = pingTimeout
        self.subAckTimeout = subAckTimeout
        self.publishAckTimeout = publishAckTimeout
        self.oversizedInbound = oversizedInbound
    }

    /// Whether the session outlives this connection, so the client keeps its in-flight publishes for the
    /// next one: clean session 0 on 3.1.1; a Session Expiry Interval above 0 on MQTT 5 (§3.1.2.11.2).
    public var sessionOutlivesConnection: Bool {
        switch version {
        case .v3_1_1: !cleanStart
        case .v5_0: (sessionExpiryInterval ?? 0) > 0
        }
    }

    /// The largest inbound packet the frame decoder accepts, whatever the protocol version.
    public var inboundPacketSizeLimit: Int {
        maximumPacketSize.map(Int.init) ?? MQTTConnectionConfiguration.protocolMaximumPacketSize
    }

    /// 268,435,455 bytes of remaining length plus a 5-byte fixed header.
    public static let protocolMaximumPacketSize = 268_435_460

    /// The CONNECT packet this configuration describes.
    public var connectPacket: ConnectPacket {
        var properties = MQTTProperties()
        if version == .v5_0 {
            if let sessionExpiryInterval { properties.append(.sessionExpiryInterval(sessionExpiryInterval)) }
            if let receiveMaximum { properties.append(.receiveMaximum(receiveMaximum)) }
            if let maximumPacketSize { properties.append(.maximumPacketSize(maximumPacketSize)) }
            if topicAliasMaximum > 0 { properties.append(.topicAliasMaximum(topicAliasMaximum)) }
            for property in additionalConnectProperties { properties.append(property) }
        }
        var will = self.will
        if version == .v3_1_1 { will?.properties = [] }
        return ConnectPacket(
            clientIdentifier: clientIdentifier,
            cleanStart: cleanStart,
            keepAliveSeconds: keepAliveSeconds,
            username: username,
            password: password,
            will: will,
            properties: properties
        )
    }
}
