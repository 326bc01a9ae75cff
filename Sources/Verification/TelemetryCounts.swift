/// Telemetry integrity figures for one device or a whole run.
///
/// `lost` counts sequences that never arrived (gaps that never filled, plus the
/// tail after the last sequence received when the device's own tally is known);
/// `duplicates` counts deliveries of a sequence already received, which QoS 1 allows.
public struct TelemetryCounts: Codable, Sendable, Hashable {
    /// Messages the device says it published; nil when its tally is not known.
    public var sent: UInt64?
    /// Deliveries to the observers, duplicates included.
    public var delivered: UInt64
    /// Distinct messages received.
    public var unique: UInt64
    public var lost: UInt64
    public var duplicates: UInt64
    public var outOfOrder: UInt64
    /// Reboots recognised from the sequence restarting.
    public var restarts: UInt64

    public init(
        sent: UInt64? = nil, delivered: UInt64 = 0, unique: UInt64 = 0, lost: UInt64 = 0,
        duplicates: UInt64 = 0, outOfOrder: UInt64 = 0, restarts: UInt64 = 0
    ) {
        self.sent = sent
        self.delivered = delivered
        self.unique = unique
        self.lost = lost
        self.duplicates = duplicates
        self.outOfOrder = outOfOrder
        self.restarts = restarts
    }

    /// Sums two tallies (a run total from devices' figures).
    public static func + (lhs: TelemetryCounts, rhs: TelemetryCounts) -> TelemetryCounts {
        let sent: UInt64? = switch (lhs.sent, rhs.sent) {
        case (nil, nil): nil
        default: (lhs.sent ?? 0) + (rhs.sent ?? 0)
        }
        return TelemetryCounts(
            sent: sent,
            delivered: lhs.delivered + rhs.delivered,
            unique: lhs.unique + rhs.unique,
            lost: lhs.lost + rhs.lost,
            duplicates: lhs.duplicates + rhs.duplicates,
            outOfOrder: lhs.outOfOrder + rhs.outOfOrder,
            restarts: lhs.restarts + rhs.restarts
        )
    }
}
