import Ledger
import NIOCore
import Scenario

/// The `iothub` steps of a run whose devices are driven by worker processes (`fleet run --processes N`).
/// The coordinator owns the lab broker, so it sends them, on the workers' schedule and to the same seeded
/// selection; the workers' fleets skip them. Like every executor of a split run it logs each of its steps'
/// `timelineStep` (the workers log theirs too), then the requests and the direct method completions, so a
/// step's events never precede its own `timelineStep` in the coordinator's clock.
public final class CloudTimeline: TimelineTarget, Sendable {
    /// The plan with its `iothub` steps only (each keeps its index, which seeds its selection).
    private let plan: Plan
    private let devices: [DevicePlan]
    private let eventLoop: any EventLoop
    private let sink: any RunEventSink
    private let clock: RunClock
    private let cloud: any CloudServiceOperator
    private let executor: NIOLoopBoundBox<TimelineExecutor?>
    private let operations: NIOLoopBoundBox<CloudOperations?>

    public init(plan: Plan, eventLoop: any EventLoop, sink: any RunEventSink, clock: RunClock,
                cloud: any CloudServiceOperator) {
        var steps = plan
        steps.timeline = plan.timeline.filter(\.action.isIoTHub)
        self.plan = steps
        self.devices = plan.devices()
        self.eventLoop = eventLoop
        self.sink = sink
        self.clock = clock
        self.cloud = cloud
        executor = .makeEmptyBox(valueType: TimelineExecutor.self, eventLoop: eventLoop)
        operations = .makeEmptyBox(valueType: CloudOperations.self, eventLoop: eventLoop)
    }

    /// Whether `plan` has a step for this timeline.
    public static func isNeeded(for plan: Plan) -> Bool {
        plan.timeline.contains(where: \.action.isIoTHub)
    }

    /// Starts the steps' clock now: call it when the workers are told to start.
    public func start() {
        eventLoop.execute {
            guard self.executor.value == nil else { return }
            self.operations.value = CloudOperations(eventLoop: self.eventLoop, cloud: self.cloud, sink: self.sink,
                                                    clock: self.clock)
            let executor = TimelineExecutor(plan: self.plan, devices: self.devices, eventLoop: self.eventLoop,
                                            sink: self.sink, clock: self.clock, target: self)
            self.executor.value = executor
            executor.start()
        }
    }

    /// Cancels the steps not yet run and completes once the last direct method completions are logged.
    public func finish() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.executor.value?.cancel()
            return self.operations.value?.finish() ?? self.eventLoop.makeSucceededVoidFuture()
        }
    }

    public func perform(_ step: TimelineStep, on ordinals: [Int]) {
        guard case .iotHub(let spec) = step.action else { return }
        operations.value?.send(CloudRequests.render(spec, step: step.index, ordinals: ordinals, devices: devices,
                                                    seed: plan.seed))
    }

    public func timelineFinished(stoppedBy mode: StopMode?) {}
}

extension TimelineAction {
    var isIoTHub: Bool {
        if case .iotHub = self { return true }
        return false
    }
}
