/// The timing rules the will verdicts apply (from the scenario's `expect: wills:`).
public struct WillRules: Sendable, Hashable {
    /// Slack added to every deadline, for the broker's timer granularity and the network.
    public var graceNs: UInt64
    /// A silent device is declared gone after keep-alive × this (MQTT: 1.5).
    public var silentDetectionFactor: Double
    /// How long the broker takes to notice a reset socket (normally immediate).
    public var abruptDetectionNs: UInt64

    public init(graceNs: UInt64 = 2_000_000_000, silentDetectionFactor: Double = 1.5, abruptDetectionNs: UInt64 = 0) {
        self.graceNs = graceNs
        self.silentDetectionFactor = silentDetectionFactor
        self.abruptDetectionNs = abruptDetectionNs
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
