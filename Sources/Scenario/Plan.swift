/// A scenario file, parsed and validated: plain values the fleet runs and the verdicts check.
public struct Plan: Sendable, Hashable {
    public var name: String
    /// Seeds every random choice (device selections, jitter, `{random}`), so a file replays identically.
    public var seed: UInt64
    /// The file the plan came from, as given to the loader.
    public var sourcePath: String
    public var broker: BrokerSpec
    public var groups: [DeviceGroupPlan]
    /// In time order.
    public var timeline: [TimelineStep]
    public var expectations: Expectations
    public var observer: ObserverSpec

    public init(
        name: String, seed: UInt64, sourcePath: String, broker: BrokerSpec, groups: [DeviceGroupPlan],
        timeline: [TimelineStep], expectations: Expectations, observer: ObserverSpec
    ) {
        self.name = name
        self.seed = seed
        self.sourcePath = sourcePath
        self.broker = broker
        self.groups = groups
        self.timeline = timeline
        self.expectations = expectations
        self.observer = observer
    }

    /// Devices in the plan: the fleet checks it against its open-file limit before connecting.
    public var deviceCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// When the last step happens (a trailing `wait` counts to its end).
    public var duration: Duration {
        timeline.map { step in
            if case .wait(let pause) = step.action { return step.at + pause }
            return step.at
        }.max() ?? .zero
    }

    /// Every device, group by group, index by index: position `n` is the same device in every run.
    public func devices() -> [DevicePlan] {
        var result: [DevicePlan] = []
        result.reserveCapacity(deviceCount)
        for group in groups {
            for offset in 0..<group.count {
                result.append(group.device(index: offset + 1, ordinal: result.count))
            }
        }
        return result
    }

    public func group(named name: String) -> DeviceGroupPlan? {
        groups.first { $0.name == name }
    }
}
