import Scenario

/// What a run needs before anything connects: open files for every connection it may hold at once,
/// and the source addresses spreading its ports. Refuses early, with numbers, when the plan cannot fit.
public struct RunPreflight: Sendable {
    public let devices: Int
    /// Impostor connections the timeline's duplicate-client-id steps will open.
    public let impostors: Int
    public let observers: Int
    public let budget: FileDescriptorBudget
    public let sources: SourceAddressPlan

    /// Raises this process's soft open-file limit to the hard limit, then checks the plan against it.
    public static func check(_ plan: Plan, devices: [DevicePlan]) throws(FleetLimitError) -> RunPreflight {
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        let impostors = plan.timeline.reduce(0) { total, step in
            if case .duplicateClientID(let spec) = step.action {
                return total + selector.select(spec.target, step: step.index).count
            }
            return total
        }
        let budget = FileDescriptorBudget.raiseSoftLimitToHard()
        try budget.check(devices: devices.count, impostors: impostors, observers: plan.observer.connections)
        let sources = SourceAddressPlan.plan(requested: plan.broker.sourceAddresses, brokerHost: plan.broker.host,
                                             connections: devices.count + impostors)
        return RunPreflight(devices: devices.count, impostors: impostors, observers: plan.observer.connections,
                            budget: budget, sources: sources)
    }

    /// The devices a step aims at, if it aims at any (`wait` does not; `stop` aims at all).
    public static func target(of action: TimelineAction) -> Target? {
        TimelineExecutor.target(of: action)
    }
}
