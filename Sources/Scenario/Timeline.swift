/// One timed action of the scenario.
public struct TimelineStep: Sendable, Hashable {
    /// Time since the run started, resolved from `at:` or from `after:` (relative to the previous step).
    public var at: Duration
    public var action: TimelineAction
    /// 0-based position in the timeline; seeds the step's device selection.
    public var index: Int
    public var location: SourceLocation

    public init(at: Duration, action: TimelineAction, index: Int, location: SourceLocation) {
        self.at = at
        self.action = action
        self.index = index
        self.location = location
    }
}

/// What a timeline step does.
public enum TimelineAction: Sendable, Hashable {
    /// Start devices (their first connect), spread evenly over `over`.
    case ramp(RampSpec)
    case disconnect(DisconnectSpec)
    /// Connect an impostor with the same client ID as each selected device, so the broker takes over the session.
    case duplicateClientID(DuplicateSpec)
    /// Shape the selected devices' links.
    case throttle(ThrottleSpec)
    /// Each selected device publishes extra telemetry at once.
    case burst(BurstSpec)
    /// A one-off publish by the fleet's controller connection, e.g. to devices' configuration topics.
    case publish(PublishSpec)
    /// The selected devices present a faulty certificate on their next connect.
    case certFault(CertFaultSpec)
    /// The selected SAS devices reconnect at once presenting a faulty token, and keep presenting one.
    case sasFault(SASFaultSpec)
    /// The IoT Hub operator sends each selected device a cloud-to-device message, a desired-properties
    /// patch or a direct method call (lab broker, profile `iothub`).
    case iotHub(IoTHubSpec)
    /// Nothing happens; later relative steps (`after:`) and the end of the run count from here.
    case wait(Duration)
    /// End the run: every device stops.
    case stop(StopMode)
}

/// Which devices a step aims at: a selection, optionally restricted to one group.
public struct Target: Sendable, Hashable {
    public var selection: Selection
    /// Restricts the selection to this group; nil ⇒ all groups.
    public var group: String?

    public init(selection: Selection, group: String? = nil) {
        self.selection = selection
        self.group = group
    }
}

/// A choice of devices among a population (the plan, or one group).
public enum Selection: Sendable, Hashable {
    case all
    /// This many devices, drawn with the plan's seed.
    case count(Int)
    /// This share (0 < p ≤ 100) of the population, rounded to nearest, at least one; drawn with the plan's seed.
    case percent(Double)
    /// Exactly these client IDs.
    case ids([String])
    /// Every device of the group.
    case group(String)
}

public struct RampSpec: Sendable, Hashable {
    public var target: Target
    /// Zero ⇒ everything connects at once (a connect storm).
    public var over: Duration

    public init(target: Target, over: Duration) {
        self.target = target
        self.over = over
    }
}

/// How a connection ends.
public enum DisconnectMode: String, Sendable, Hashable, CaseIterable {
    /// TCP reset/close without DISCONNECT: the broker sees the socket go and publishes the will.
    case abrupt
    /// The device goes quiet with the socket open (power loss behind NAT): only keep-alive expiry reveals it.
    case silent
    /// DISCONNECT with reason 0: the broker discards the will.
    case graceful
    /// MQTT 5 DISCONNECT with reason 0x04 "disconnect with will message": the broker publishes the will.
    case gracefulWithWill = "graceful-with-will"
}

/// When a disconnected device comes back.
public enum ReconnectSpec: Sendable, Hashable {
    case after(Duration)
    /// As its firmware would: the group's retry policy.
    case byPolicy
    case never
}

public struct DisconnectSpec: Sendable, Hashable {
    public var target: Target
    public var mode: DisconnectMode
    public var reconnect: ReconnectSpec

    public init(target: Target, mode: DisconnectMode, reconnect: ReconnectSpec) {
        self.target = target
        self.mode = mode
        self.reconnect = reconnect
    }
}

public struct DuplicateSpec: Sendable, Hashable {
    public var target: Target
    /// How often the impostor reconnects after being taken over in turn; nil ⇒ for ever
    /// (with the device also reconnecting, a ping-pong takeover storm). 0 ⇒ connects once.
    public var impostorRetries: Int?
    /// Pause between the impostor's reconnects.
    public var every: Duration
    /// Stop the impostor after this long; nil ⇒ until the run ends.
    public var `for`: Duration?

    public init(target: Target, impostorRetries: Int?, every: Duration, for duration: Duration?) {
        self.target = target
        self.impostorRetries = impostorRetries
        self.every = every
        self.for = duration
    }
}

public struct ThrottleSpec: Sendable, Hashable {
    public var target: Target
    /// Bandwidth cap each way; nil ⇒ uncapped.
    public var bandwidthBitsPerSecond: Int?
    /// Added one-way latency.
    public var latency: Duration
    /// Latency varies uniformly by ± jitter.
    public var jitter: Duration
    /// Nothing passes at all (a dead link that still looks up).
    public var stall: Bool
    /// How long the shaping lasts.
    public var `for`: Duration

    public init(target: Target, bandwidthBitsPerSecond: Int?, latency: Duration, jitter: Duration, stall: Bool,
                for duration: Duration) {
        self.target = target
        self.bandwidthBitsPerSecond = bandwidthBitsPerSecond
        self.latency = latency
        self.jitter = jitter
        self.stall = stall
        self.for = duration
    }
}

public struct BurstSpec: Sendable, Hashable {
    public var target: Target
    /// Messages per selected device.
    public var count: Int
    /// Spread of each device's burst; zero ⇒ back to back.
    public var over: Duration

    public init(target: Target, count: Int, over: Duration) {
        self.target = target
        self.count = count
        self.over = over
    }
}

public struct PublishSpec: Sendable, Hashable {
    /// The devices whose `{clientId}` etc. fill the topic and payload: one message per selected device.
    /// A topic without per-device placeholders is published once.
    public var target: Target
    public var topic: Template
    public var payload: Template
    public var qos: Int
    public var retain: Bool

    public init(target: Target, topic: Template, payload: Template, qos: Int, retain: Bool) {
        self.target = target
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// A certificate problem a device presents on its next connect.
public enum CertFaultKind: String, Sendable, Hashable, CaseIterable {
    case expired
    case notYetValid = "not-yet-valid"
    /// Issued by a CA the broker does not trust.
    case foreignCA = "foreign-ca"
    /// The leaf alone, without its intermediate ("chainless").
    case noIntermediate = "no-intermediate"
    /// Subject CN differs from the client ID.
    case cnMismatch = "cn-mismatch"
}

public struct CertFaultSpec: Sendable, Hashable {
    public var target: Target
    public var kind: CertFaultKind

    public init(target: Target, kind: CertFaultKind) {
        self.target = target
        self.kind = kind
    }
}

/// A SAS token problem a device presents (`sas-fault`).
public enum SASFaultKind: String, Sendable, Hashable, CaseIterable {
    /// Its expiry is already past (a device clock behind, or a token kept too long).
    case expiredToken = "expired-token"
    /// Signed with a key that is not the device's (a key rotated in the hub but not on the device).
    case wrongKey = "wrong-key"
    /// Another device's valid token (a provisioning mix-up).
    case otherDevice = "other-device"
}

public struct SASFaultSpec: Sendable, Hashable {
    public var target: Target
    public var kind: SASFaultKind
    /// How long the device keeps presenting the faulty token; nil: to the end of the run.
    public var duration: Duration?

    public init(target: Target, kind: SASFaultKind, duration: Duration? = nil) {
        self.target = target
        self.kind = kind
        self.duration = duration
    }
}

public enum StopMode: String, Sendable, Hashable, CaseIterable {
    /// Every device sends DISCONNECT (no wills).
    case graceful
    /// Every connection is dropped (wills fire).
    case abrupt
}
