import Scenario

/// What a run needs before anything connects: open files for every connection it may hold at once,
/// and the source addresses spreading its ports. Refuses early, with numbers, when the plan cannot fit;
/// when one process's open-file limit is what stops it, says how many processes would do.
public struct RunPreflight: Sendable {
    public let devices: Int
    /// Impostor connections the timeline's duplicate-client-id steps will open.
    public let impostors: Int
    public let observers: Int
    /// Processes the devices are split over (`fleet run --processes`).
    public let processes: Int
    /// Open files the busiest process needs (devices, impostors, observers where they run, spare).
    public let filesPerProcess: Int
    public let budget: FileDescriptorBudget
    public let sources: SourceAddressPlan

    /// Checks every process's share of the plan against `budget`; by default this process's soft open-file
    /// limit raised to the hard limit (worker processes inherit it). The observers run in this process; with
    /// more than one process, this one drives no devices.
    public static func check(
        _ plan: Plan, devices: [DevicePlan], processes: Int = 1,
        budget: FileDescriptorBudget = FileDescriptorBudget.raiseSoftLimitToHard()
    ) throws(FleetLimitError) -> RunPreflight {
        let impostorsByDevice = impostorCounts(plan, devices: devices)
        let observers = plan.observer.connections
        let needs = connectionsPerProcess(devices: devices.count, impostorsByDevice: impostorsByDevice,
                                          observers: observers, processes: processes)
        do {
            for need in needs { try budget.check(devices: need.devices, impostors: need.impostors, observers: need.observers) }
        } catch {
            throw withSplitHint(error, budget: budget, devices: devices.count, impostorsByDevice: impostorsByDevice,
                                observers: observers, processes: processes)
        }
        let impostors = impostorsByDevice.reduce(0, +)
        let sources = SourceAddressPlan.plan(requested: plan.broker.sourceAddresses, brokerHost: plan.broker.host,
                                             connections: devices.count + impostors)
        let busiest = needs.map { $0.devices + $0.impostors + $0.observers }.max() ?? 0
        return RunPreflight(devices: devices.count, impostors: impostors, observers: observers, processes: processes,
                            filesPerProcess: busiest + FileDescriptorBudget.spare, budget: budget, sources: sources)
    }

    /// The devices a step aims at, if it aims at any (`wait` does not; `stop` aims at all).
    public static func target(of action: TimelineAction) -> Target? {
        TimelineExecutor.target(of: action)
    }

    /// Impostors the duplicate-client-id steps start, per device ordinal.
    private static func impostorCounts(_ plan: Plan, devices: [DevicePlan]) -> [Int] {
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        var counts = Array(repeating: 0, count: devices.count)
        for step in plan.timeline {
            guard case .duplicateClientID(let spec) = step.action else { continue }
            for ordinal in selector.select(spec.target, step: step.index) { counts[ordinal] += 1 }
        }
        return counts
    }

    private struct Need {
        var devices = 0
        var impostors = 0
        var observers = 0
    }

    /// Connections of each process: one process holds everything; with more, the first holds the
    /// observers and each worker its partition's devices and their impostors.
    private static func connectionsPerProcess(devices: Int, impostorsByDevice: [Int], observers: Int, processes: Int) -> [Need] {
        guard processes > 1 else {
            return [Need(devices: devices, impostors: impostorsByDevice.reduce(0, +), observers: observers)]
        }
        var workers = Array(repeating: Need(), count: processes)
        for ordinal in 0..<devices {
            workers[ordinal % processes].devices += 1
            workers[ordinal % processes].impostors += impostorsByDevice[ordinal]
        }
        return [Need(observers: observers)] + workers
    }

    /// The limit error, with the smallest number of processes that would fit when a hard limit is what stops the run.
    private static func withSplitHint(
        _ error: FleetLimitError, budget: FileDescriptorBudget, devices: Int, impostorsByDevice: [Int], observers: Int,
        processes: Int
    ) -> FleetLimitError {
        guard budget.softLimit >= budget.hardLimit else { return error }
        let fits = (processes + 1...max(processes + 1, 256)).first { count in
            connectionsPerProcess(devices: devices, impostorsByDevice: impostorsByDevice, observers: observers,
                                  processes: count)
                .allSatisfy { $0.devices + $0.impostors + $0.observers + FileDescriptorBudget.spare <= budget.softLimit }
        }
        guard let fits else { return error }
        var hinted = error
        hinted.hint = "split the run over \(fits) processes with --processes \(fits) (each has its own \(budget.softLimit) files), or raise the hard limit (ulimit -Hn)"
        return hinted
    }
}
