import Histogram

/// What a fleet's devices counted themselves: the ground truth the observers' counts are checked against.
/// Codable, so a worker process can hand its partition's outcome to the run that started it.
public struct FleetOutcome: Codable, Sendable {
    public var counters: FleetCounters
    /// Per device driven, in ordinal order.
    public var counts: [DeviceTelemetryCount]
    /// Publish → PUBACK/PUBCOMP of every device's telemetry.
    public var acknowledgements: Histogram<UInt64>

    public init(counters: FleetCounters, counts: [DeviceTelemetryCount], acknowledgements: Histogram<UInt64>) {
        self.counters = counters
        self.counts = counts
        self.acknowledgements = acknowledgements
    }

    /// The outcomes of several partitions of one plan as one, counts in ordinal order again; nil for none.
    public static func merged(_ parts: [(partition: FleetPartition, outcome: FleetOutcome)]) -> FleetOutcome? {
        guard var acknowledgements = parts.first?.outcome.acknowledgements else { return nil }
        for part in parts.dropFirst() { acknowledgements.add(part.outcome.acknowledgements) }
        var ordered: [(ordinal: Int, count: DeviceTelemetryCount)] = []
        for part in parts {
            ordered += part.outcome.counts.enumerated().map { (part.partition.ordinal(at: $0.offset), $0.element) }
        }
        return FleetOutcome(
            counters: parts.map(\.outcome.counters).reduce(FleetCounters(), +),
            counts: ordered.sorted { $0.ordinal < $1.ordinal }.map(\.count),
            acknowledgements: acknowledgements)
    }
}
