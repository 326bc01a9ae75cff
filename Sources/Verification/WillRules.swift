/// The timing rules the will verdicts apply (from the scenario's `expect: wills:`).
public struct WillRules: Sendable, Hashable {
    /// Slack added to every deadline, for the broker's timer granularity and the network.
    public var graceNs: UInt64
    /// A silent device is declared gone after keep-alive × this (MQTT: 1.5).
    public var silentDetectionFactor: Double
    /// How long the broker takes to notice a reset socket (normally immediate).
    public var abruptDetectionNs: UInt64
    /// What the plan says about each device's will (by client ID): used when an event
    /// does not carry it (a takeover, a disconnect no fault explains).
    public var planned: [String: PlannedWill]

    public init(
        graceNs: UInt64 = 2_000_000_000, silentDetectionFactor: Double = 1.5, abruptDetectionNs: UInt64 = 0,
        planned: [String: PlannedWill] = [:]
    ) {
        self.graceNs = graceNs
        self.silentDetectionFactor = silentDetectionFactor
        self.abruptDetectionNs = abruptDetectionNs
        self.planned = planned
    }

    /// Time from the end of the connection until the broker can know it ended.
    func detectionNs(_ ending: EndingKind, keepAliveSeconds: UInt16?) -> UInt64 {
        switch ending {
        case .abrupt: abruptDetectionNs
        case .silent: UInt64(Double(keepAliveSeconds ?? 0) * silentDetectionFactor * 1_000_000_000)
        case .graceful, .gracefulWithWill, .takeover, .unplanned: 0
        }
    }
}

/// A device's will as planned: whether it has one, its delay, the keep-alive and, for MQTT 5, the
/// session expiry (0 when the CONNECT sends none; nil for MQTT 3.1.1, which has no will delay).
public struct PlannedWill: Sendable, Hashable {
    public var hasWill: Bool
    public var delaySeconds: UInt32
    public var keepAliveSeconds: UInt16
    public var sessionExpirySeconds: UInt32?

    public init(hasWill: Bool, delaySeconds: UInt32 = 0, keepAliveSeconds: UInt16 = 0, sessionExpirySeconds: UInt32? = nil) {
        self.hasWill = hasWill
        self.delaySeconds = delaySeconds
        self.keepAliveSeconds = keepAliveSeconds
        self.sessionExpirySeconds = sessionExpirySeconds
    }
}
