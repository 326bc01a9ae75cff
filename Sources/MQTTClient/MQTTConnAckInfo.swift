import MQTTCore

/// What the broker's CONNACK told this connection, with MQTT's defaults filled in where the
/// broker left a property out, so callers never need to know which properties are optional.
public struct MQTTConnAckInfo: Sendable, Hashable {
    public var version: MQTTProtocolVersion
    public var sessionPresent: Bool
    public var reasonCode: ReasonCode
    /// The client identifier in use: the broker's Assigned Client Identifier when it sent one.
    public var clientIdentifier: String
    public var assignedClientIdentifier: String?
    /// The keep alive in force: the Server Keep Alive when the broker sent one, else ours.
    public var keepAliveSeconds: UInt16
    public var serverKeepAlive: UInt16?
    public var maximumQoS: QoS
    public var retainAvailable: Bool
    /// The largest packet the broker accepts; `nil`: no limit announced.
    public var maximumPacketSize: UInt32?
    /// How many QoS 1/2 publishes may be unacknowledged at once (default 65,535).
    public var receiveMaximum: UInt16
    public var topicAliasMaximum: UInt16
    public var wildcardSubscriptionAvailable: Bool
    public var subscriptionIdentifiersAvailable: Bool
    public var sharedSubscriptionAvailable: Bool
    public var reasonString: String?
    public var responseInformation: String?
    public var serverReference: String?
    /// Every property as received.
    public var properties: MQTTProperties

    init(connAck: ConnAckPacket, configuration: MQTTConnectionConfiguration) {
        let properties = connAck.properties
        version = configuration.version
        sessionPresent = connAck.sessionPresent
        reasonCode = connAck.reasonCode
        assignedClientIdentifier = properties.assignedClientIdentifier
        clientIdentifier = properties.assignedClientIdentifier ?? configuration.clientIdentifier
        serverKeepAlive = properties.serverKeepAlive
        keepAliveSeconds = properties.serverKeepAlive ?? configuration.keepAliveSeconds
        maximumQoS = properties.maximumQoS ?? .exactlyOnce
        retainAvailable = properties.retainAvailable ?? true
        maximumPacketSize = properties.maximumPacketSize
        receiveMaximum = properties.receiveMaximum ?? UInt16.max
        topicAliasMaximum = properties.topicAliasMaximum ?? 0
        wildcardSubscriptionAvailable = properties.wildcardSubscriptionAvailable ?? true
        subscriptionIdentifiersAvailable = properties.subscriptionIdentifierAvailable ?? true
        sharedSubscriptionAvailable = properties.sharedSubscriptionAvailable ?? true
        reasonString = properties.reasonString
        responseInformation = properties.responseInformation
        serverReference = properties.serverReference
        self.properties = properties
    }
}
