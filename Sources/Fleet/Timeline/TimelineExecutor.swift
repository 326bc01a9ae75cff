import Ledger
import NIOCore
import Scenario

/// What the timeline acts on: the fleet in a run, a recorder in tests.
public protocol TimelineTarget: AnyObject {
    /// Carries out one step on the devices its selection resolved to (ordinals in `Plan.devices()`).
    func perform(_ step: TimelineStep, on devices: [Int])
    /// The timeline is over: the last step happened and any trailing wait elapsed, or a stop step ran.
    func timelineFinished(stoppedBy mode: StopMode?)
}

/// Plays a plan's timeline: each step is scheduled on one event loop at `start + step.at`, its target
/// resolved to devices with the plan's seed (same file, same devices), logged as a `timelineStep`
/// event, and handed to the target. Times come from the event loop, so an `EmbeddedEventLoop`
/// runs a whole timeline on virtual time in tests.
public final class TimelineExecutor {
    private let steps: [TimelineStep]
    private let duration: Duration
    private let selector: DeviceSelector
    private let eventLoop: any EventLoop
    private let sink: any RunEventSink
    private let clock: RunClock
    private weak var target: (any TimelineTarget)?
    private var scheduled: [Scheduled<Void>] = []
    private var finished = false

    public init(plan: Plan, devices: [DevicePlan], eventLoop: any EventLoop, sink: any RunEventSink, clock: RunClock,
                target: any TimelineTarget) {
        self.steps = plan.timeline
        self.duration = plan.duration
        self.selector = DeviceSelector(devices: devices, seed: plan.seed)
        self.eventLoop = eventLoop
        self.sink = sink
        self.clock = clock
        self.target = target
    }

    /// Schedules every step relative to now. Must be called on the executor's event loop.
    public func start() {
        eventLoop.preconditionInEventLoop()
        let isolated = eventLoop.assumeIsolatedUnsafeUnchecked()
        let startedAt = eventLoop.now
        for step in steps {
            scheduled.append(isolated.scheduleTask(deadline: startedAt + TimeAmount(step.at)) { self.run(step) })
        }
        scheduled.append(isolated.scheduleTask(deadline: startedAt + TimeAmount(duration)) {
            self.finish(stoppedBy: nil)
        })
    }

    /// Cancels the steps not yet run (Ctrl-C); the caller stops the fleet itself.
    public func cancel() {
        eventLoop.preconditionInEventLoop()
        finished = true
        for task in scheduled { task.cancel() }
        scheduled.removeAll()
    }

    /// The devices a step acts on.
    public func devices(for step: TimelineStep) -> [Int] {
        guard let target = Self.target(of: step.action) else { return [] }
        return selector.select(target, step: step.index)
    }

    private func run(_ step: TimelineStep) {
        guard !finished else { return }
        sink.record(RunEvent(at: clock.now(), kind: .timelineStep(index: step.index, action: step.action.keyword,
                                                                    line: step.location.line)))
        target?.perform(step, on: devices(for: step))
        if case .stop(let mode) = step.action { finish(stoppedBy: mode) }
    }

    private func finish(stoppedBy mode: StopMode?) {
        guard !finished else { return }
        cancel()
        target?.timelineFinished(stoppedBy: mode)
    }

    static func target(of action: TimelineAction) -> Target? {
        switch action {
        case .ramp(let spec): spec.target
        case .disconnect(let spec): spec.target
        case .duplicateClientID(let spec): spec.target
        case .throttle(let spec): spec.target
        case .burst(let spec): spec.target
        case .publish(let spec): spec.target
        case .certFault(let spec): spec.target
        case .sasFault(let spec): spec.target
        case .iotHub(let spec): spec.target
        case .stop: Target(selection: .all)
        case .wait: nil
        }
    }
}

extension TimelineAction {
    /// The step's keyword as written in scenario files (and in `timelineStep` events).
    public var keyword: String {
        switch self {
        case .ramp: "ramp"
        case .disconnect: "disconnect"
        case .duplicateClientID: "duplicate-client-id"
        case .throttle: "throttle"
        case .burst: "burst"
        case .publish: "publish"
        case .certFault: "cert-fault"
        case .sasFault: "sas-fault"
        case .iotHub: "iothub"
        case .wait: "wait"
        case .stop: "stop"
        }
    }
}
