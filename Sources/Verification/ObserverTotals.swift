/// Everything the observers counted, merged: the input the telemetry verdicts need.
public struct ObserverTotals: Sendable {
    /// Per-device trackers by device ordinal.
    public var trackers: [SequenceTracker]
    public var endToEnd: LatencyHistogram
    public var deliveredPerSecond: [UInt64]
    public var unknownTopic: UInt64
    /// Of `unknownTopic`, those delivered retained (left before the run began).
    public var unknownTopicRetained: UInt64 = 0
    public var unreadable: UInt64

    public init(
        trackers: [SequenceTracker], endToEnd: LatencyHistogram = LatencyHistogram(),
        deliveredPerSecond: [UInt64] = [], unknownTopic: UInt64 = 0, unreadable: UInt64 = 0
    ) {
        self.trackers = trackers
        self.endToEnd = endToEnd
        self.deliveredPerSecond = deliveredPerSecond
        self.unknownTopic = unknownTopic
        self.unreadable = unreadable
    }
}

extension ObserverSink {
    /// Merges the sinks of all observer connections of a run (same roster).
    public static func merged(_ sinks: [ObserverSink]) -> ObserverTotals {
        guard let first = sinks.first else { return ObserverTotals(trackers: []) }
        var totals = ObserverTotals(trackers: first.trackers)
        totals.endToEnd = first.endToEnd
        totals.deliveredPerSecond = first.deliveredPerSecond
        totals.unknownTopic = first.unknownTopic
        totals.unknownTopicRetained = first.unknownTopicRetained
        totals.unreadable = first.unreadable
        for sink in sinks.dropFirst() {
            for device in sink.trackers.indices { totals.trackers[device].merge(sink.trackers[device]) }
            totals.endToEnd.merge(sink.endToEnd)
            for (second, count) in sink.deliveredPerSecond.enumerated() {
                if second >= totals.deliveredPerSecond.count { totals.deliveredPerSecond.append(0) }
                totals.deliveredPerSecond[second] += count
            }
            totals.unknownTopic += sink.unknownTopic
            totals.unknownTopicRetained += sink.unknownTopicRetained
            totals.unreadable += sink.unreadable
        }
        return totals
    }
}
