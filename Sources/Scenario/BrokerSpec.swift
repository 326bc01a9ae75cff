/// Where the fleet connects and how it trusts the broker.
public struct BrokerSpec: Sendable, Hashable {
    /// The URL as written (`mqtt://host:port` or `mqtts://host:port`), for reports.
    public var url: String
    public var host: String
    public var port: Int
    /// `mqtts://` ⇒ TLS; `mqtt://` ⇒ plain TCP.
    public var tls: Bool
    /// PEM file of the roots to trust, relative to the current working directory (like every path the CLI takes).
    /// nil with TLS means the system trust store.
    public var caFile: String?
    /// SNI and hostname to verify; nil means `host`.
    public var serverName: String?
    public var verification: TLSVerification
    /// Protocol for groups whose personality does not fix one and that do not say; nil ⇒ the personality's default.
    public var protocolVersion: ProtocolVersion?
    /// Broker family, for its documented limits and quirks (see `BrokerProfile`); nil ⇒ no assumptions.
    public var profile: String?
    /// Local addresses to bind outgoing connections to, spreading the 64k-ports-per-address limit.
    /// Empty ⇒ the fleet picks (one address unless it needs more).
    public var sourceAddresses: [String]
    /// How long a TCP + TLS + CONNECT/CONNACK exchange may take before the attempt counts as failed.
    public var connectTimeout: Duration

    public init(
        url: String, host: String, port: Int, tls: Bool, caFile: String? = nil, serverName: String? = nil,
        verification: TLSVerification = .full, protocolVersion: ProtocolVersion? = nil, profile: String? = nil,
        sourceAddresses: [String] = [], connectTimeout: Duration = .seconds(10)
    ) {
        self.url = url
        self.host = host
        self.port = port
        self.tls = tls
        self.caFile = caFile
        self.serverName = serverName
        self.verification = verification
        self.protocolVersion = protocolVersion
        self.profile = profile
        self.sourceAddresses = sourceAddresses
        self.connectTimeout = connectTimeout
    }

    /// The profile as a known value, when it names one.
    public var knownProfile: BrokerProfile? { profile.flatMap(BrokerProfile.init(rawValue:)) }
}

/// How much of the broker's certificate is checked. Anything weaker than `.full` must be asked for by name.
public enum TLSVerification: String, Sendable, Hashable, CaseIterable {
    /// Chain to a trusted root and hostname/IP match.
    case full
    /// Chain checked, hostname not (brokers reached by an address their certificate does not name).
    case noHostname = "no-hostname"
    /// Nothing checked; only via `insecure-skip-verify: true`.
    case none
}

/// MQTT protocol revision a device speaks.
public enum ProtocolVersion: String, Sendable, Hashable, CaseIterable {
    case v3_1_1 = "3.1.1"
    case v5 = "5"

    /// The CONNECT packet's protocol level byte.
    public var protocolLevel: UInt8 {
        switch self {
        case .v3_1_1: 4
        case .v5: 5
        }
    }
}

/// Broker families with documented limits the loader can check a scenario against before anything connects.
public enum BrokerProfile: String, Sendable, Hashable, CaseIterable {
    case mosquitto
    case nanomq
    case emqx
    case hivemq
    case azureEventGrid = "azure-event-grid"
    case azureIoTHub = "azure-iot-hub"

    /// What the broker family accepts; nil fields mean "no documented limit we check".
    public var limits: BrokerLimits {
        switch self {
        case .mosquitto, .nanomq, .emqx, .hivemq:
            BrokerLimits(protocolVersions: [.v3_1_1, .v5], maxQoS: 2, retainAvailable: true,
                         maxKeepAlive: nil, sharedSubscriptions: true)
        case .azureEventGrid:
            // Event Grid MQTT broker (seeds 001–004): QoS 0/1 only, retain flag and shared subscriptions
            // not supported yet, keep-alive at most 1160 s.
            BrokerLimits(protocolVersions: [.v3_1_1, .v5], maxQoS: 1, retainAvailable: false,
                         maxKeepAlive: .seconds(1160),
                         sharedSubscriptions: false)
        case .azureIoTHub:
            // IoT Hub MQTT endpoint: 3.1.1, no QoS 2 (it closes the connection), retained messages not persisted.
            BrokerLimits(protocolVersions: [.v3_1_1], maxQoS: 1, retainAvailable: false,
                         maxKeepAlive: nil,
                         sharedSubscriptions: false)
        }
    }
}

/// The subset of a broker family's rules the loader validates a scenario against.
public struct BrokerLimits: Sendable, Hashable {
    public var protocolVersions: Set<ProtocolVersion>
    public var maxQoS: Int
    public var retainAvailable: Bool
    public var maxKeepAlive: Duration?
    public var sharedSubscriptions: Bool

    public init(
        protocolVersions: Set<ProtocolVersion>, maxQoS: Int, retainAvailable: Bool, maxKeepAlive: Duration?,
        sharedSubscriptions: Bool
    ) {
        self.protocolVersions = protocolVersions
        self.maxQoS = maxQoS
        self.retainAvailable = retainAvailable
        self.maxKeepAlive = maxKeepAlive
        self.sharedSubscriptions = sharedSubscriptions
    }
}
