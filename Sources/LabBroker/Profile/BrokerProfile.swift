import MQTTCore

/// How the lab broker behaves: which parts of the specification it offers and which cloud rules it
/// imposes on top. A profile is data (see `BuiltIn/*.yaml` and `ProfileLoader`); the engine only reads it.
///
/// Every field defaults to the specification's behaviour, so `BrokerProfile()` is the `standard` profile.
public struct BrokerProfile: Sendable, Hashable {
    /// The name a user gives on the command line (`lab:eventgrid`).
    public var name: String
    /// One line for `fleet broker` and reports.
    public var summary: String

    /// Protocol levels accepted at CONNECT; others get CONNACK 0x84 / return code 0x01.
    public var protocolVersions: Set<MQTTProtocolVersion>
    /// Whether plain TCP / plain WebSocket listeners may be opened at all.
    public var requiresTLS: Bool
    /// Who the client is and whether it may connect at all.
    public var authentication: AuthenticationRule

    /// Highest QoS the broker accepts in PUBLISH and grants in SUBACK (announced in CONNACK when < 2).
    public var maximumQoS: QoS
    /// What a PUBLISH above `maximumQoS` gets.
    public var qosAboveMaximum: ViolationResponse
    public var retain: RetainRule
    /// A CONNECT keep-alive above this is answered with Server Keep Alive (5) or refused (3.1.1); nil: any.
    public var maximumKeepAlive: UInt16?
    /// Announced in CONNACK; inbound aliases above it are a protocol error (DISCONNECT 0x94).
    public var topicAliasMaximum: UInt16
    /// Largest packet accepted from a client (announced in CONNACK); larger closes with 0x95.
    public var maximumPacketSize: UInt32?
    /// In-flight QoS 1/2 publishes a client may have towards the broker (announced in CONNACK).
    public var receiveMaximum: UInt16
    /// Session Expiry Interval cap in seconds (the CONNACK announces the granted value); nil: no cap.
    public var maximumSessionExpiry: UInt32?
    /// What a CONNECT with the client ID of a live session does.
    public var takeover: TakeoverRule
    /// Connected sessions (distinct client IDs) one authentication name may hold at once; a CONNECT beyond
    /// it is refused with 0x97 Quota exceeded (Event Grid's "Maximum client sessions per authentication
    /// name"). nil: any number.
    public var maximumSessionsPerAuthenticationName: Int?
    /// What a CONNECT whose will topic the client may not publish to gets.
    public var unauthorizedWill: UnauthorizedWillRule
    /// What a SUBSCRIBE to a filter the client may not subscribe to gets.
    public var unauthorizedSubscribe: UnauthorizedSubscribeRule
    /// Shared subscriptions (`$share/…`) offered.
    public var sharedSubscriptions: Bool
    /// Bound on messages kept for a disconnected persistent session.
    public var offlineQueue: QueueLimit

    /// Topic permissions per identity; nil: every client may publish and subscribe to every topic.
    public var authorization: [TopicPermission]?
    /// Rate limits and the lockout after repeated failed connects.
    public var throttling: ThrottleRules
    /// Azure IoT Hub's device-facing endpoint (topics, twins, methods); nil in other profiles.
    public var iotHub: IoTHubRules?

    /// Where each rule comes from: rule key (as in the YAML file) → citation of the documentation or seed.
    public var sources: [String: String]

    public init(
        name: String = "standard",
        summary: String = "the MQTT 3.1.1 and 5.0 specifications, nothing more",
        protocolVersions: Set<MQTTProtocolVersion> = [.v3_1_1, .v5_0],
        requiresTLS: Bool = false,
        authentication: AuthenticationRule = .anonymous,
        maximumQoS: QoS = .exactlyOnce,
        qosAboveMaximum: ViolationResponse = .disconnect,
        retain: RetainRule = .supported,
        maximumKeepAlive: UInt16? = nil,
        topicAliasMaximum: UInt16 = 65535,
        maximumPacketSize: UInt32? = nil,
        receiveMaximum: UInt16 = 65535,
        maximumSessionExpiry: UInt32? = nil,
        takeover: TakeoverRule = .replaceOld,
        maximumSessionsPerAuthenticationName: Int? = nil,
        unauthorizedWill: UnauthorizedWillRule = .refuseConnect,
        unauthorizedSubscribe: UnauthorizedSubscribeRule = .refuse,
        sharedSubscriptions: Bool = true,
        offlineQueue: QueueLimit = QueueLimit(),
        authorization: [TopicPermission]? = nil,
        throttling: ThrottleRules = ThrottleRules(),
        iotHub: IoTHubRules? = nil,
        sources: [String: String] = [:]
    ) {
        self.name = name
        self.summary = summary
        self.protocolVersions = protocolVersions
        self.requiresTLS = requiresTLS
        self.authentication = authentication
        self.maximumQoS = maximumQoS
        self.qosAboveMaximum = qosAboveMaximum
        self.retain = retain
        self.maximumKeepAlive = maximumKeepAlive
        self.topicAliasMaximum = topicAliasMaximum
        self.maximumPacketSize = maximumPacketSize
        self.receiveMaximum = receiveMaximum
        self.maximumSessionExpiry = maximumSessionExpiry
        self.takeover = takeover
        self.maximumSessionsPerAuthenticationName = maximumSessionsPerAuthenticationName
        self.unauthorizedWill = unauthorizedWill
        self.unauthorizedSubscribe = unauthorizedSubscribe
        self.sharedSubscriptions = sharedSubscriptions
        self.offlineQueue = offlineQueue
        self.authorization = authorization
        self.throttling = throttling
        self.iotHub = iotHub
        self.sources = sources
    }
}

/// How the broker learns who a client is.
public enum AuthenticationRule: Sendable, Hashable {
    /// Anyone; the authentication name is the username if given, else the client ID.
    case anonymous
    /// A client certificate is required; its subject CN is the authentication name. With
    /// `usernameMustMatch`, a username that differs from the CN is refused (Event Grid's rule).
    case certificateCommonName(usernameMustMatch: Bool)
    /// Azure IoT Hub: username `{hub}/{deviceId}/?api-version=…`, client ID = device ID, and either a
    /// SAS token password signed with the device's key or a client certificate whose CN is the device ID.
    case iotHub
}

/// What a client that breaks a profile rule gets.
public enum ViolationResponse: Sendable, Hashable {
    /// MQTT 5: DISCONNECT with the rule's reason code, then close; MQTT 3.1.1: close.
    case disconnect
    /// MQTT 5: the acknowledgement carries the reason code (PUBACK/PUBREC); QoS 0 is dropped silently.
    /// MQTT 3.1.1: close (it has no way to say no).
    case refuseMessage
}

public enum RetainRule: Sendable, Hashable {
    case supported
    /// A PUBLISH with retain is a violation (Retain Available 0 in CONNACK; 0x9A).
    case refused(ViolationResponse)
    /// Delivered like any message with retain cleared, never stored (IoT Hub).
    case notPersisted
}

public enum TakeoverRule: Sendable, Hashable {
    /// The specification: the old connection gets DISCONNECT 0x8E (MQTT 5) and is closed.
    case replaceOld
    /// Event Grid (seed 003): the newcomer is refused as not authorized; the live session is kept.
    case refuseNew
}

public enum UnauthorizedWillRule: Sendable, Hashable {
    /// CONNACK 0x87 / return code 0x05 (Event Grid, seed 000).
    case refuseConnect
    /// Accept the connection, never publish the will (what mosquitto does).
    case dropWill
}

public enum UnauthorizedSubscribeRule: Sendable, Hashable {
    /// SUBACK 0x87 (MQTT 5) / 0x80 (3.1.1), as Event Grid answers (seed 000).
    case refuse
    /// SUBACK grants the QoS asked for and nothing is ever delivered on it (what mosquitto 2.0 does with
    /// an ACL that denies the filter): the "granted but silent" subscription a device cannot tell apart.
    case grantSilently
}

/// Bound on one disconnected persistent session's queue.
public struct QueueLimit: Sendable, Hashable {
    public var messages: Int
    public var bytes: Int
    public var onOverflow: Overflow

    public enum Overflow: Sendable, Hashable {
        /// Drop the message that does not fit (the specification leaves this to the server).
        case dropNewest
        /// End the session: it is discarded with its queue (Event Grid, seed 003).
        case endSession
    }

    public init(messages: Int = 100_000, bytes: Int = 64 << 20, onOverflow: Overflow = .dropNewest) {
        self.messages = messages
        self.bytes = bytes
        self.onOverflow = onOverflow
    }
}

/// One grant: clients matching `identity` may do `actions` on topics matching `topicTemplate`, a topic
/// filter whose `${client.authenticationName}` and `${client.clientId}` are replaced per client.
public struct TopicPermission: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, CaseIterable { case publish, subscribe }

    public var topicTemplate: String
    public var actions: Set<Action>
    /// A glob on the authentication name (`*` any run of characters); nil: every client.
    public var identity: String?

    public init(topicTemplate: String, actions: Set<Action>, identity: String? = nil) {
        self.topicTemplate = topicTemplate
        self.actions = actions
        self.identity = identity
    }
}

/// Rates are per second over a sliding window of one second; nil: unlimited.
public struct ThrottleRules: Sendable, Hashable {
    public var connectsPerClient: Int?
    public var connectsTotal: Int?
    public var messagesPerClient: Int?
    public var lockout: Lockout?

    /// After `failures` refused connects of one client ID within `window` seconds, every connect of that
    /// client ID is refused for `duration` seconds ("disabled until the next morning", seed 000).
    public struct Lockout: Sendable, Hashable {
        public var failures: Int
        public var windowSeconds: Double
        public var durationSeconds: Double

        public init(failures: Int, windowSeconds: Double, durationSeconds: Double) {
            self.failures = failures
            self.windowSeconds = windowSeconds
            self.durationSeconds = durationSeconds
        }
    }

    public init(connectsPerClient: Int? = nil, connectsTotal: Int? = nil, messagesPerClient: Int? = nil,
                lockout: Lockout? = nil) {
        self.connectsPerClient = connectsPerClient
        self.connectsTotal = connectsTotal
        self.messagesPerClient = messagesPerClient
        self.lockout = lockout
    }
}

/// Azure IoT Hub's device endpoint, as seed 002 documents it.
public struct IoTHubRules: Sendable, Hashable {
    /// The hub name in the username (`{hub}.azure-devices.net/{deviceId}/?api-version=…`).
    public var hostName: String
    /// Device ID → base64 device key, for SAS token checks; a device absent here may still connect with a
    /// certificate whose CN is its ID.
    public var deviceKeys: [String: String]
    /// Shared access policy name → base64 key: a token naming a policy (`skn`) is checked with its key
    /// (IoT Hub accepts device connections signed by a policy with DeviceConnect, such as `iothubowner`).
    public var sharedAccessPolicies: [String: String]

    public init(hostName: String = "lab.azure-devices.net", deviceKeys: [String: String] = [:],
                sharedAccessPolicies: [String: String] = [:]) {
        self.hostName = hostName
        self.deviceKeys = deviceKeys
        self.sharedAccessPolicies = sharedAccessPolicies
    }
}
