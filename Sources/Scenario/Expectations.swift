/// What a correct broker does during the scenario; verdicts compare the run's events with these.
public struct Expectations: Sendable, Hashable {
    public var wills: WillExpectations?
    public var telemetry: TelemetryExpectations?
    public var latency: [LatencyExpectation]
    public var connectedAtEnd: ConnectedExpectation?
    /// How the broker answers the devices' CONNECTs; nil ⇒ not checked.
    public var connect: ConnectOutcome?
    /// How the broker answers the devices' SUBSCRIBEs; nil ⇒ not checked.
    public var subscribe: SubscribeOutcome?
    /// At the end, each device's retained status topic holds the birth payload when connected and the will
    /// payload when not.
    public var retainedStatusMatches: Bool
    /// How many devices had a connection ended by the broker: a DISCONNECT from it, the socket closed on its
    /// side, or a takeover of the session. The broker's answer to a rule broken after CONNECT (a QoS 2 or
    /// retained PUBLISH it does not take, a packet above its maximum); nil ⇒ not checked.
    public var closedByBroker: ConnectedExpectation?
    /// How many devices found their session again on a reconnect (CONNACK session present); nil ⇒ not checked.
    public var resumedSessions: ConnectedExpectation?
    /// How many devices asked for a persistent session, came back within its expiry and found none (CONNACK
    /// session present 0): the broker lost or ended it; nil ⇒ not checked.
    public var lostSessions: ConnectedExpectation?
    /// What becomes of the QoS ≥ 1 messages a `publish` step sends to a device with a persistent session while
    /// it is offline; nil ⇒ not checked.
    public var queuedDelivery: QueuedDeliveryExpectation?
    /// What the IoT Hub operator's `iothub` steps achieved; nil ⇒ not checked.
    public var iotHub: IoTHubExpectations?

    public init(
        wills: WillExpectations? = nil, telemetry: TelemetryExpectations? = nil, latency: [LatencyExpectation] = [],
        connectedAtEnd: ConnectedExpectation? = nil, connect: ConnectOutcome? = nil,
        subscribe: SubscribeOutcome? = nil, retainedStatusMatches: Bool = false,
        closedByBroker: ConnectedExpectation? = nil, resumedSessions: ConnectedExpectation? = nil,
        iotHub: IoTHubExpectations? = nil, lostSessions: ConnectedExpectation? = nil,
        queuedDelivery: QueuedDeliveryExpectation? = nil
    ) {
        self.wills = wills
        self.telemetry = telemetry
        self.latency = latency
        self.connectedAtEnd = connectedAtEnd
        self.connect = connect
        self.subscribe = subscribe
        self.retainedStatusMatches = retainedStatusMatches
        self.closedByBroker = closedByBroker
        self.resumedSessions = resumedSessions
        self.iotHub = iotHub
        self.lostSessions = lostSessions
        self.queuedDelivery = queuedDelivery
    }
}

/// `expect: queued-delivery:`.
public enum QueuedDeliveryExpectation: String, Sendable, Hashable, CaseIterable {
    /// Each message queued for an offline device arrives once, in the order sent, after it returns to its
    /// session; none arrives when it returns to find its session gone (MQTT 5 §4.1, §4.6).
    case complete
}

/// Whether a will is published after a given kind of ending.
public enum WillOutcome: String, Sendable, Hashable, CaseIterable {
    /// Exactly one will per ending, within the deadline.
    case delivered
    /// No will at all.
    case none
    /// Not checked.
    case ignore
}

public struct WillExpectations: Sendable, Hashable {
    /// The endings an outcome is stated for, by their key under `expect: wills:`.
    public enum Ending: String, Sendable, Hashable, CaseIterable {
        case abrupt, silent, graceful
        case gracefulWithWill = "graceful-with-will"
        case takeover
    }

    /// After an abrupt close the broker publishes at once (plus the will delay, MQTT 5).
    public var abrupt: WillOutcome
    /// After silence the broker publishes once keep-alive × `silentDetectionFactor` has passed.
    public var silent: WillOutcome
    public var graceful: WillOutcome
    public var gracefulWithWill: WillOutcome
    /// When a session is taken over by the same client ID (MQTT 5 publishes the old connection's will;
    /// 3.1.1 brokers differ).
    public var takeover: WillOutcome
    /// Slack added to every will deadline.
    public var deadlineGrace: Duration
    /// A silent device is declared gone after keep-alive × this (MQTT spec: 1.5).
    public var silentDetectionFactor: Double
    /// The endings whose outcome the scenario wrote; the others hold their defaults, and the report says so.
    public var stated: Set<Ending>

    /// `stated` defaults to every ending: an outcome set in code is meant.
    public init(
        abrupt: WillOutcome = .delivered, silent: WillOutcome = .delivered, graceful: WillOutcome = .none,
        gracefulWithWill: WillOutcome = .delivered, takeover: WillOutcome = .ignore,
        deadlineGrace: Duration = .seconds(2), silentDetectionFactor: Double = 1.5,
        stated: Set<Ending> = Set(Ending.allCases)
    ) {
        self.stated = stated
        self.abrupt = abrupt
        self.silent = silent
        self.graceful = graceful
        self.gracefulWithWill = gracefulWithWill
        self.takeover = takeover
        self.deadlineGrace = deadlineGrace
        self.silentDetectionFactor = silentDetectionFactor
    }

    /// The outcome expected after `ending`.
    public subscript(ending: Ending) -> WillOutcome {
        get {
            switch ending {
            case .abrupt: abrupt
            case .silent: silent
            case .graceful: graceful
            case .gracefulWithWill: gracefulWithWill
            case .takeover: takeover
            }
        }
        set {
            switch ending {
            case .abrupt: abrupt = newValue
            case .silent: silent = newValue
            case .graceful: graceful = newValue
            case .gracefulWithWill: gracefulWithWill = newValue
            case .takeover: takeover = newValue
            }
        }
    }
}

/// Limits on telemetry as seen by the observers, counted per device by sequence number.
public struct TelemetryExpectations: Sendable, Hashable {
    public var maxLoss: Int?
    public var maxDuplicates: Int?
    public var maxOutOfOrder: Int?

    public init(maxLoss: Int? = nil, maxDuplicates: Int? = nil, maxOutOfOrder: Int? = nil) {
        self.maxLoss = maxLoss
        self.maxDuplicates = maxDuplicates
        self.maxOutOfOrder = maxOutOfOrder
    }
}

public enum LatencyPhase: String, Sendable, Hashable, CaseIterable {
    case tcpConnect = "tcp-connect"
    case tlsHandshake = "tls-handshake"
    case webSocketUpgrade = "websocket-upgrade"
    case connack
    case suback
    case puback
    case endToEnd = "end-to-end"
    case willDelivery = "will-delivery"
    case commandReply = "command-reply"
    case twinResponse = "twin-response"
}

/// "The p-th percentile of this phase stays at or below max".
public struct LatencyExpectation: Sendable, Hashable {
    public var phase: LatencyPhase
    /// 0 < percentile ≤ 100, e.g. 99 or 99.9.
    public var percentile: Double
    public var max: Duration

    public init(phase: LatencyPhase, percentile: Double, max: Duration) {
        self.phase = phase
        self.percentile = percentile
        self.max = max
    }
}

/// A bound on a number of devices. For `connected-at-end`, the devices connected when the run ends: counted as
/// the `stop` step begins (before it disconnects anyone), or after the last step when there is no `stop`; for
/// `closed-by-broker`, `resumed-sessions` and `lost-sessions`, the devices that had that happen at least once during the run.
public enum ConnectedExpectation: Sendable, Hashable {
    case atLeast(Int)
    case atMost(Int)
    case exactly(Int)
    /// At least this share of all devices (0…100).
    case percent(Double)
}

/// The broker's answer to the devices' CONNECTs.
public enum ConnectOutcome: String, Sendable, Hashable, CaseIterable {
    case accepted
    /// Refused for any reason (CONNACK failure code or TLS failure).
    case refused
    /// Refused with CONNACK "not authorized" (3.1.1: 5; MQTT 5: 0x87).
    case notAuthorized = "not-authorized"
}

/// The broker's answer to the devices' SUBSCRIBEs.
public enum SubscribeOutcome: String, Sendable, Hashable, CaseIterable {
    case granted
    /// SUBACK failure (3.1.1: 0x80; MQTT 5: a reason code ≥ 0x80).
    case denied
}
