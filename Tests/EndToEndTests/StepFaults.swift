import Ledger
import Scenario

/// What one fault-injecting timeline step should have done and what the ledger says it did: the devices
/// `DeviceSelector` picks for the step (same seed, same step) against the devices named by the step's
/// `faultInjected` events.
struct StepFaults {
    var step: TimelineStep
    var kind: FaultKind
    /// Client IDs the step must name, each as often as it logs the fault (sorted); nil stands for a run-wide
    /// event (a `publish` whose topic and payload name no device).
    var expected: [String?]
    var logged: [String?]

    /// One entry per step that injects faults (`disconnect`, `duplicate-client-id`, `throttle`, `cert-fault`,
    /// `burst`, `publish`), in timeline order.
    ///
    /// A step's events are the `faultInjected` events of its kind from its earliest `timelineStep` event up to
    /// the next step with the same kind: devices log their faults after the executor logs the step.
    static func compare(plan: Plan, events: [RunEvent]) -> [StepFaults] {
        let devices = plan.devices()
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        var stepStarts: [Int: UInt64] = [:]
        for event in events {
            // A split run's executors (each worker's, the coordinator's) each log the step: it began at the first.
            if case .timelineStep(let index, _, _) = event.kind { stepStarts[index] = min(stepStarts[index] ?? .max, event.at) }
        }
        let injecting = plan.timeline.compactMap { step in faultKind(of: step.action).map { (step, $0) } }
        return injecting.enumerated().map { position, entry in
            let (step, kind) = entry
            let start = stepStarts[step.index] ?? .max
            let nextSameKind = injecting[(position + 1)...].first { $0.1 == kind }
            let end = nextSameKind.flatMap { stepStarts[$0.0.index] } ?? .max
            let logged = events.compactMap { event -> String?? in
                guard case .faultInjected(let fault, _, _, _, _, _, _, _) = event.kind, fault == kind,
                      event.at >= start, event.at < end
                else { return nil }
                return .some(event.device)
            }
            let selected = selector.selectDevices(target(of: step.action), step: step.index)
            return StepFaults(step: step, kind: kind, expected: expectedEntries(step.action, selected),
                              logged: sorted(logged))
        }
    }

    /// What the ledger must say for the selected devices: one event each, `count` each for a burst spread
    /// over time, and a single run-wide event for a publish that names no device.
    private static func expectedEntries(_ action: TimelineAction, _ selected: [DevicePlan]) -> [String?] {
        switch action {
        case .burst(let spec) where spec.over > .zero && spec.count > 1:
            return sorted(selected.flatMap { Array(repeating: $0.clientID, count: spec.count) })
        case .publish(let spec) where !spec.topic.needsDevice && !spec.payload.needsDevice:
            return [nil]
        default:
            return sorted(selected.map(\.clientID))
        }
    }

    private static func sorted(_ ids: [String?]) -> [String?] {
        ids.sorted { ($0 ?? "") < ($1 ?? "") }
    }

    /// The fault a step logs for each device it selects; nil for steps that inject none.
    static func faultKind(of action: TimelineAction) -> FaultKind? {
        switch action {
        case .disconnect(let spec):
            switch spec.mode {
            case .abrupt: .abrupt
            case .silent: .silent
            case .graceful: .graceful
            case .gracefulWithWill: .gracefulWithWill
            }
        case .duplicateClientID: .impostorStarted
        case .throttle: .throttled
        case .certFault: .certFault
        case .sasFault: .sasFault
        case .burst: .burst
        case .publish: .publish
        case .iotHub: .cloudMessage
        case .ramp, .wait, .stop: nil
        }
    }

    private static func target(of action: TimelineAction) -> Target {
        switch action {
        case .disconnect(let spec): spec.target
        case .duplicateClientID(let spec): spec.target
        case .throttle(let spec): spec.target
        case .certFault(let spec): spec.target
        case .sasFault(let spec): spec.target
        case .burst(let spec): spec.target
        case .publish(let spec): spec.target
        case .iotHub(let spec): spec.target
        case .ramp(let spec): spec.target
        case .wait, .stop: Target(selection: .all)
        }
    }
}
