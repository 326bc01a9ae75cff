import Scenario

extension MeasuredPhase {
    /// The measured phase a scenario's latency expectation names.
    public init(_ phase: LatencyPhase) {
        switch phase {
        case .tcpConnect: self = .tcpConnect
        case .tlsHandshake: self = .tlsHandshake
        case .webSocketUpgrade: self = .webSocketUpgrade
        case .connack: self = .connack
        case .suback: self = .suback
        case .puback: self = .puback
        case .endToEnd: self = .endToEnd
        case .willDelivery: self = .willDelivery
        case .commandReply: self = .commandReply
        case .twinResponse: self = .twinResponse
        }
    }
}

extension WillRules {
    /// The rules of the scenario's `expect: wills:` (defaults when absent).
    public init(_ expectations: WillExpectations?) {
        let wills = expectations ?? WillExpectations()
        self.init(
            graceNs: Duration.nanosecondsClamped(wills.deadlineGrace),
            silentDetectionFactor: wills.silentDetectionFactor
        )
    }
}

extension WillRules {
    /// The scenario's rules plus every planned device's will facts.
    public init(_ plan: Plan) {
        self.init(plan.expectations.wills)
        for device in plan.devices() {
            planned[device.clientID] = PlannedWill(
                hasWill: device.will != nil,
                delaySeconds: device.will?.delay.map { UInt32(clamping: $0.components.seconds) } ?? 0,
                keepAliveSeconds: UInt16(clamping: device.keepAlive.components.seconds),
                sessionExpirySeconds: device.protocolVersion == .v5
                    ? device.sessionExpiry.map { UInt32(clamping: $0.components.seconds) } ?? 0 : nil
            )
        }
    }
}

extension StatusVocabulary {
    /// Birth and will of one planned device.
    public init(_ device: DevicePlan) {
        self.init(
            online: device.birth?.payload, onlineRetained: device.birth?.retain ?? false,
            offline: device.will?.payload, offlineRetained: device.will?.retain ?? false
        )
    }
}

extension Duration {
    /// Whole nanoseconds, 0 for negative durations, saturating.
    static func nanosecondsClamped(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
