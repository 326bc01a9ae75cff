/// The fleet's own listening connections, which see what the broker delivers (telemetry, wills, births).
public struct ObserverSpec: Sendable, Hashable {
    /// Number of observer connections; more than one spreads the load (with `sharedSubscription`).
    public var connections: Int
    public var qos: Int
    /// Subscribe through `$share/<group>/…` so observers split the messages instead of each getting all.
    public var sharedSubscription: Bool
    /// Topic filters to watch. Defaults to the devices' telemetry, will and birth topics with every
    /// per-device level replaced by `+` (e.g. `devices/+/sequence`).
    public var filters: [String]
    /// Where observers connect; nil ⇒ the devices' broker. Lets observers use a listener without client
    /// certificates while devices use mutual TLS.
    public var broker: BrokerSpec?
    /// Observers' credentials (e.g. a username on an authenticating broker).
    public var credentials: Credentials
    /// The observers' client certificate, for brokers that take nothing but mutual TLS (Azure Event Grid);
    /// also used by the controller connection that sends `publish` steps.
    public var identity: DeviceIdentityFiles?
    public var protocolVersion: ProtocolVersion

    public init(
        connections: Int = 1, qos: Int = 1, sharedSubscription: Bool = false, filters: [String] = [],
        broker: BrokerSpec? = nil, credentials: Credentials = .none, identity: DeviceIdentityFiles? = nil,
        protocolVersion: ProtocolVersion = .v5
    ) {
        self.connections = connections
        self.qos = qos
        self.sharedSubscription = sharedSubscription
        self.filters = filters
        self.broker = broker
        self.credentials = credentials
        self.identity = identity
        self.protocolVersion = protocolVersion
    }
}
