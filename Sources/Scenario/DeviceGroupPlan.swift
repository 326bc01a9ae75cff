/// A set of identical devices, with every setting resolved: the personality's defaults overridden by the file.
public struct DeviceGroupPlan: Sendable, Hashable {
    public var name: String
    /// Devices in the plan: identities × `sessions`.
    public var count: Int
    /// Pattern for client IDs, e.g. `XiaoTandHandCO2-{index:04}`; may use `{index}`, `{index:0N}`, `{group}`.
    public var clientIDPattern: Template
    public var personality: Personality
    public var protocolVersion: ProtocolVersion
    public var keepAlive: Duration
    public var cleanStart: Bool
    /// MQTT 5 session expiry; nil ⇒ not sent (session ends with the connection).
    public var sessionExpiry: Duration?
    public var credentials: Credentials
    public var telemetry: TelemetrySpec?
    public var subscribe: [SubscriptionSpec]
    public var will: WillSpec?
    /// Published by the device right after CONNACK (the "online" counterpart of the will).
    public var birth: BirthSpec?
    /// How the device answers messages on its subscriptions, first matching rule wins.
    public var respond: [ResponseSpec]
    public var retry: RetryPolicy
    /// Delay between a device being started (ramp) and its first CONNECT: Wi-Fi join, NTP sync.
    public var bootDelay: Duration
    /// The library's packet buffer: a device cannot send or receive a packet larger than this
    /// (PubSubClient drops larger incoming packets and fails larger publishes).
    public var maxPacketSize: Int
    /// How long a device waits for each acknowledgement before it gives the connection up and retries.
    public var timeouts: DeviceTimeouts
    /// MQTT 5: publish with topic aliases, as many as the broker's Topic Alias Maximum allows (`topic-aliases`).
    public var topicAliases = false
    /// IoT Hub device twin requests the devices make (`twin:`); nil: none.
    public var twin: TwinSpec?
    /// Connections each identity opens (`sessions:`), each with its own client ID under the identity's
    /// certificate and authentication name: Event Grid's multi-session clients.
    public var sessions = 1
    /// The sessions' client IDs (`session-id:`); nil: one session per identity, named by `clientIDPattern`.
    public var sessionIDPattern: SessionIDPattern?
    /// `authentication-name:`; nil: the identity's client ID (its certificate's CN).
    public var authenticationNamePattern: Template?
    /// Where the group is declared, for messages about it.
    public var location: SourceLocation

    /// `timeouts` nil: the personality's, for `keepAlive`.
    public init(
        name: String, count: Int, clientIDPattern: Template, personality: Personality,
        protocolVersion: ProtocolVersion, keepAlive: Duration, cleanStart: Bool, sessionExpiry: Duration?,
        credentials: Credentials, telemetry: TelemetrySpec?, subscribe: [SubscriptionSpec], will: WillSpec?,
        birth: BirthSpec?, retry: RetryPolicy, bootDelay: Duration, maxPacketSize: Int, location: SourceLocation,
        respond: [ResponseSpec] = [], timeouts: DeviceTimeouts? = nil
    ) {
        self.name = name
        self.count = count
        self.clientIDPattern = clientIDPattern
        self.personality = personality
        self.protocolVersion = protocolVersion
        self.keepAlive = keepAlive
        self.cleanStart = cleanStart
        self.sessionExpiry = sessionExpiry
        self.credentials = credentials
        self.telemetry = telemetry
        self.subscribe = subscribe
        self.will = will
        self.birth = birth
        self.respond = respond
        self.retry = retry
        self.bootDelay = bootDelay
        self.maxPacketSize = maxPacketSize
        self.timeouts = timeouts ?? personality.defaults.timeouts(keepAlive: keepAlive)
        self.location = location
    }

    /// The client ID of the device with 1-based `index` in this group (with `sessions`, its session's).
    public func clientID(index: Int) -> String {
        let identity = identityID(index: index)
        guard let sessionIDPattern else { return identity }
        return sessionIDPattern.render(identity: identity, index: identityIndex(of: index), group: name,
                                       session: (index - 1) % sessions + 1)
    }

    /// The 1-based index of the identity whose session the device with 1-based `index` is (what `{index}` renders).
    public func identityIndex(of index: Int) -> Int { (index - 1) / sessions + 1 }

    /// The client ID of the identity (certificate folder, CN) the device with 1-based `index` connects as.
    public func identityID(index: Int) -> String {
        clientIDPattern.binding(clientID: "", index: identityIndex(of: index), group: name).description
    }

    /// The device with 1-based `index`, its templates filled in. `ordinal` is its position in `Plan.devices()`.
    public func device(index: Int, ordinal: Int) -> DevicePlan {
        let id = clientID(index: index)
        let identity = identityIndex(of: index)
        func bind(_ template: Template) -> Template { template.binding(clientID: id, index: identity, group: name) }
        func bindText(_ template: Template) -> String { bind(template).description }
        var device = DevicePlan(
            group: name, index: identity, ordinal: ordinal, clientID: id, personality: personality,
            protocolVersion: protocolVersion, keepAlive: keepAlive, cleanStart: cleanStart,
            sessionExpiry: sessionExpiry,
            credentials: credentials.resolved(clientID: identityID(index: index), sibling: clientID(index: index % count + 1),
                                              bind: bindText),
            telemetry: telemetry.map {
                DeviceTelemetry(topic: bindText($0.topic), every: $0.every, qos: $0.qos, retain: $0.retain,
                                payload: bind($0.payload), contentType: $0.contentType, messageExpiry: $0.messageExpiry,
                                userProperties: $0.userProperties.map { UserPropertySpec(name: $0.name, value: bind($0.value)) })
            },
            subscribe: subscribe.map { DeviceSubscription(filter: bindText($0.filter), qos: $0.qos) },
            will: will.map {
                DeviceWill(topic: bindText($0.topic), payload: bindText($0.payload), qos: $0.qos, retain: $0.retain,
                           delay: $0.delay, messageExpiry: $0.messageExpiry, contentType: $0.contentType)
            },
            birth: birth.map {
                DeviceBirth(topic: bindText($0.topic), payload: bindText($0.payload), qos: $0.qos, retain: $0.retain)
            },
            respond: respond.map {
                let topic = bind($0.topic)
                return DeviceResponse(filter: bindText($0.filter), topic: topic.description, payload: bind($0.payload), qos: $0.qos,
                                      after: $0.after, requestIDTopic: topic.capturesRequest ? topic : nil)
            },
            retry: retry, bootDelay: bootDelay, maxPacketSize: maxPacketSize
        )
        if sessionIDPattern != nil || authenticationNamePattern != nil {
            device.authenticationName = authenticationNamePattern.map(bindText) ?? identityID(index: index)
        }
        return device
    }
}

/// How a device proves who it is.
public enum Credentials: Sendable, Hashable {
    case none
    /// Templates: `{clientId}` etc. are filled in per device (Event Grid and IoT Hub put the device ID in the username).
    case usernamePassword(username: Template, password: Template)
    /// A `fleet certs` folder; each device's identity is `<directory>/devices/<clientId>/chain.pem` + `key.pem`.
    /// `username`, a template, is sent too when given (IoT Hub's X.509 devices still name their hub and
    /// device in the username, with no password).
    case certificates(directory: String, username: Template? = nil)
    /// Azure IoT Hub SAS tokens, signed per device at each connect (`credentials: { sas: … }`).
    case sas(SASCredentials)

    /// `sibling`: the device whose token an `other-device` SAS fault presents.
    func resolved(clientID: String, sibling: String, bind: (Template) -> String) -> DeviceCredentials {
        switch self {
        case .none:
            .none
        case .usernamePassword(let username, let password):
            .usernamePassword(username: bind(username), password: bind(password))
        case .certificates(let directory, let username):
            .certificate(DeviceIdentityFiles(directory: directory, clientID: clientID), username: username.map(bind))
        case .sas(let sas):
            .sas(sas.device(clientID, username: sas.username.map(bind), sibling: sibling))
        }
    }
}

/// Periodic publishes a device makes while connected.
public struct TelemetrySpec: Sendable, Hashable {
    public var topic: Template
    public var every: Duration
    public var qos: Int
    public var retain: Bool
    /// Default `{"ClientID":"{clientId}","Sequence":{sequence}}`, the payload of the seed's samples.
    public var payload: Template
    /// MQTT 5 content type; nil ⇒ not sent.
    public var contentType: String?
    /// MQTT 5 message expiry; nil ⇒ not sent.
    public var messageExpiry: Duration?
    /// MQTT 5 user properties, in file order; a value of exactly `{sequence}` or `{timestamp}` is read
    /// back by the observers, so payloads need not be JSON.
    public var userProperties: [UserPropertySpec]

    public init(topic: Template, every: Duration, qos: Int, retain: Bool, payload: Template,
                contentType: String?, messageExpiry: Duration?, userProperties: [UserPropertySpec] = []) {
        self.topic = topic
        self.every = every
        self.qos = qos
        self.retain = retain
        self.payload = payload
        self.contentType = contentType
        self.messageExpiry = messageExpiry
        self.userProperties = userProperties
    }
}

/// One MQTT 5 user property a device attaches to its telemetry; the value is a template
/// (`{timestamp}` is filled in per message).
public struct UserPropertySpec: Sendable, Hashable {
    public var name: String
    public var value: Template

    public init(name: String, value: Template) {
        self.name = name
        self.value = value
    }

    /// The name of the property whose whole value is `placeholder` (`.sequence`, `.timestamp`), if any.
    public static func carrying(_ placeholder: Template.Part, in properties: [Self]) -> String? {
        properties.first { $0.value.parts == [placeholder] }?.name
    }
}

/// A subscription a device makes after connecting (e.g. to its configuration topic).
public struct SubscriptionSpec: Sendable, Hashable {
    public var filter: Template
    public var qos: Int

    public init(filter: Template, qos: Int) {
        self.filter = filter
        self.qos = qos
    }
}

/// The Last Will a device registers in CONNECT.
public struct WillSpec: Sendable, Hashable {
    public var topic: Template
    public var payload: Template
    public var qos: Int
    public var retain: Bool
    /// MQTT 5 will delay interval; nil ⇒ not sent.
    public var delay: Duration?
    public var messageExpiry: Duration?
    public var contentType: String?

    public init(topic: Template, payload: Template, qos: Int, retain: Bool, delay: Duration?,
                messageExpiry: Duration?, contentType: String?) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.delay = delay
        self.messageExpiry = messageExpiry
        self.contentType = contentType
    }
}

/// The message a device publishes right after connecting, usually the retained "online" status.
public struct BirthSpec: Sendable, Hashable {
    public var topic: Template
    public var payload: Template
    public var qos: Int
    public var retain: Bool

    public init(topic: Template, payload: Template, qos: Int, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
