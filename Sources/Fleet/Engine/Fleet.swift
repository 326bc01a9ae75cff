import Foundation
import Histogram
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Scenario

/// A fleet of virtual devices for one plan, spread over an event loop group's loops, and the timeline
/// that drives them. Thread-safe handle: every device lives on its own loop; commands hop to the
/// device's loop once per step and shard, never per message.
public final class Fleet: TimelineTarget, Sendable {
    public let plan: Plan
    /// Every device in `Plan.devices()` order (ordinal = position), driven here or not.
    public let devices: [DevicePlan]
    /// The devices this process drives.
    public let partition: FleetPartition
    private let shards: [NIOLoopBound<DeviceShard>]
    private let controlLoop: any EventLoop
    private let timeline: NIOLoopBoundBox<TimelineExecutor?>
    private let finishedPromise: EventLoopPromise<StopMode?>
    private let timelineOver: NIOLoopBoundBox<Bool>
    private let controller: NIOLoopBoundBox<FleetController?>
    /// Traffic sent from the control loop itself (publish and iothub steps).
    private let controlTraffic: NIOLoopBoundBox<Int>
    /// Sends `iothub` steps to the hub's service side; nil when the run gave the fleet none.
    private let cloud: NIOLoopBoundBox<CloudOperations?>
    private let sink: any RunEventSink
    private let clock: RunClock

    /// Builds the devices on their loops (nothing connects until `start`). Blocks until built: call it
    /// from outside the group's event loops.
    init(plan: Plan, group: any EventLoopGroup, sink: any RunEventSink, clock: RunClock, links: any DeviceLinkFactory,
         controller controllerConnections: FleetConnections?, cloud cloudService: (any CloudServiceOperator)? = nil,
         partition: FleetPartition = .whole, wallClock: WallClock = .system) throws {
        self.plan = plan
        self.sink = sink
        self.clock = clock
        self.partition = partition
        let devices = plan.devices()
        self.devices = devices
        let owned = partition.ordinals(of: devices.count).map { devices[$0] }
        let loops = Array(group.makeIterator())
        let profiles = Dictionary(uniqueKeysWithValues: plan.groups.map { ($0.name, DeviceProfile(group: $0)) })
        var shards: [NIOLoopBound<DeviceShard>] = []
        for (shardIndex, loop) in loops.enumerated() {
            let mine = stride(from: shardIndex, to: owned.count, by: loops.count).map { owned[$0] }
            let built = try loop.submit {
                let environment = DeviceEnvironment(eventLoop: loop, sink: sink, clock: clock, wallClock: wallClock,
                                                    links: links)
                let shard = DeviceShard(environment: environment, seed: plan.seed)
                shard.devices = mine.map {
                    VirtualDevice(plan: $0, profile: profiles[$0.group]!, environment: environment, seed: plan.seed)
                }
                return NIOLoopBound(shard, eventLoop: loop)
            }.wait()
            shards.append(built)
        }
        self.shards = shards
        controlLoop = loops[0]
        timeline = .makeEmptyBox(valueType: TimelineExecutor.self, eventLoop: controlLoop)
        finishedPromise = controlLoop.makePromise(of: StopMode?.self)
        timelineOver = .makeBoxSendingValue(false, eventLoop: controlLoop)
        controlTraffic = .makeBoxSendingValue(0, eventLoop: controlLoop)
        controller = .makeEmptyBox(valueType: FleetController.self, eventLoop: controlLoop)
        cloud = .makeEmptyBox(valueType: CloudOperations.self, eventLoop: controlLoop)
        let controlLoop = self.controlLoop
        try controlLoop.submit {
            if let cloudService {
                self.cloud.value = CloudOperations(eventLoop: controlLoop, cloud: cloudService, sink: sink, clock: clock)
            }
            if let controllerConnections {
                self.controller.value = FleetController(
                    plan: plan, connections: controllerConnections, eventLoop: controlLoop, sink: sink, clock: clock,
                    clientID: "fleet-controller-\(plan.seed)-\(ProcessInfo.processInfo.processIdentifier)")
            }
            self.timeline.value = TimelineExecutor(plan: plan, devices: devices, eventLoop: loops[0], sink: sink,
                                                   clock: clock, target: self)
        }.wait()
    }

    /// A fleet whose devices (those of `partition`) connect with `MQTTClient` to the plan's broker;
    /// `publish` steps go out on a controller connection (`FleetConnections.fleetOwn`), `iothub` steps
    /// through `cloud` (in a split run the coordinator sends them instead: see `CloudTimeline`).
    public convenience init(plan: Plan, group: any EventLoopGroup, sink: any RunEventSink, clock: RunClock,
                            connections: FleetConnections, cloud: (any CloudServiceOperator)? = nil,
                            partition: FleetPartition = .whole) throws {
        try self.init(plan: plan, group: group, sink: sink, clock: clock, links: connections,
                      controller: .fleetOwn(plan), cloud: cloud, partition: partition)
    }

    /// Completes when the timeline is over: with the stop step's mode, or nil when it simply ran out.
    public var timelineFinished: EventLoopFuture<StopMode?> { finishedPromise.futureResult }

    /// Starts the timeline now.
    public func start() {
        controlLoop.execute { self.timeline.value?.start() }
    }

    /// Stops every device (`mode`), cancels what is left of the timeline, and completes once every
    /// connection has closed or `grace` has passed, and the last direct method completions are logged.
    public func stop(_ mode: StopMode, grace: Duration = .seconds(5)) -> EventLoopFuture<Void> {
        controlLoop.execute {
            self.timeline.value?.cancel()
            self.finishTimeline(mode)
            self.controller.value?.stop()
        }
        let stopped = shards.map { shard in
            shard.eventLoop.submit { shard.value.stopAll(mode) }
        }
        let deadline = NIODeadline.now() + TimeAmount(grace)
        return EventLoopFuture.andAllComplete(stopped, on: controlLoop)
            .flatMap { self.waitForClose(until: deadline) }
            .flatMap { self.cloud.value?.finish() ?? self.controlLoop.makeSucceededVoidFuture() }
    }

    private func waitForClose(until deadline: NIODeadline) -> EventLoopFuture<Void> {
        let open = shards.map { shard in shard.eventLoop.submit { shard.value.openLinks } }
        return EventLoopFuture.whenAllSucceed(open, on: controlLoop).flatMap { counts in
            if counts.reduce(0, +) <= 0 || NIODeadline.now() >= deadline {
                return self.controlLoop.makeSucceededVoidFuture()
            }
            return self.controlLoop.scheduleTask(in: .milliseconds(50)) {}.futureResult.flatMap {
                self.waitForClose(until: deadline)
            }
        }
    }

    /// Live counts summed over every loop.
    public func counters() -> EventLoopFuture<FleetCounters> {
        let parts = shards.map { shard in shard.eventLoop.submit { shard.value.environment.counters.snapshot } }
        let control = controlLoop.submit {
            FleetCounters(traffic: self.controlTraffic.value + (self.cloud.value?.requestsSent ?? 0))
        }
        return EventLoopFuture.whenAllSucceed(parts + [control], on: controlLoop).map { $0.reduce(FleetCounters(), +) }
    }

    /// Publish → PUBACK/PUBCOMP latencies of every device's telemetry so far, merged over the loops.
    public func acknowledgementLatencies() -> EventLoopFuture<Histogram<UInt64>> {
        let parts = shards.map { shard in shard.eventLoop.submit { shard.value.environment.acknowledgementLatency } }
        return EventLoopFuture.whenAllSucceed(parts, on: controlLoop).map { histograms in
            var merged = histograms[0]
            for other in histograms.dropFirst() { merged.add(other) }
            return merged
        }
    }

    /// Per-device telemetry ground truth (sent, acked, last sequence) of the devices driven here, in ordinal order.
    public func telemetryCounts() -> EventLoopFuture<[DeviceTelemetryCount]> {
        let parts = shards.map { shard in shard.eventLoop.submit { shard.value.devices.map(\.telemetryCount) } }
        let shardCount = shards.count
        let owned = partition.share(of: devices.count)
        return EventLoopFuture.whenAllSucceed(parts, on: controlLoop).map { perShard in
            (0..<owned).map { position in perShard[position % shardCount][position / shardCount] }
        }
    }

    /// Everything the devices counted, once they have stopped.
    public func outcome() -> EventLoopFuture<FleetOutcome> {
        counters().and(telemetryCounts()).and(acknowledgementLatencies()).map { countersAndCounts, acknowledgements in
            FleetOutcome(counters: countersAndCounts.0, counts: countersAndCounts.1, acknowledgements: acknowledgements)
        }
    }

    // MARK: TimelineTarget (called on the control loop)

    public func perform(_ step: TimelineStep, on ordinals: [Int]) {
        if case .publish(let spec) = step.action {
            publish(spec, for: ordinals, step: step.index)
            return
        }
        if case .iotHub(let spec) = step.action {
            iotHub(spec, for: ordinals, step: step.index)
            return
        }
        // Ranks count every selected device, driven here or not, so a ramp keeps its pace across processes.
        var local = Array(repeating: [(rank: Int, index: Int)](), count: shards.count)
        for (rank, ordinal) in ordinals.enumerated() where partition.owns(ordinal) {
            let position = partition.position(of: ordinal)
            local[position % shards.count].append((rank, position / shards.count))
        }
        let selected = ordinals.count
        for (shardIndex, shard) in shards.enumerated() where !local[shardIndex].isEmpty || step.action.isStop {
            let mine = local[shardIndex]
            shard.eventLoop.execute {
                shard.value.perform(step.action, local: mine, selectedCount: selected)
            }
        }
    }

    /// A `publish` step: one message per selected device (its placeholders filled in), or a single one
    /// when neither topic nor payload names a device; logged on each device it is meant for.
    private func publish(_ spec: PublishSpec, for ordinals: [Int], step: Int) {
        var random = SeededGenerator(seed: plan.seed, stream: UInt64(step) | 1 << 41)
        func message(_ device: DevicePlan?) -> MQTTMessage {
            let bind: (Template) -> Template = { template in
                device.map { template.binding(clientID: $0.clientID, index: $0.index, group: $0.group) } ?? template
            }
            let topic = bind(spec.topic).render(sequence: 0, timestampMilliseconds: 0, uptimeMilliseconds: 0, random: &random)
            let payload = bind(spec.payload).render(sequence: 0, timestampMilliseconds: 0, uptimeMilliseconds: 0,
                                                    random: &random)
            return MQTTMessage(topic: topic, payload: ByteBuffer(string: payload), qos: QoS(clamping: spec.qos),
                               retain: spec.retain)
        }
        let perDevice = spec.topic.needsDevice || spec.payload.needsDevice
        guard perDevice || partition.isLead else { return }
        // Every selected device's message is rendered, so `{random}` draws the same however the run is split;
        // only those of the devices driven here are sent.
        let rendered = perDevice ? ordinals.map { ($0, message(devices[$0])) } : [(-1, message(nil))]
        let mine = rendered.filter { !perDevice || partition.owns($0.0) }
        let ordinals = mine.map(\.0)
        let messages = mine.map(\.1)
        guard !messages.isEmpty else { return }
        let now = clock.now()
        if perDevice {
            for (ordinal, sent) in zip(ordinals, messages) {
                let facts = MessageFacts(qos: sent.qos.rawValue, retain: sent.retain,
                                         digest: MessageFacts.digest(sent.payload.readableBytesView))
                sink.record(RunEvent(at: now, device: devices[ordinal].clientID,
                                     kind: .faultInjected(fault: .publish, detail: sent.topic, message: facts)))
            }
        } else {
            sink.record(RunEvent(at: now, kind: .faultInjected(fault: .publish, detail: messages[0].topic)))
        }
        controlTraffic.value += messages.count
        controller.value?.publish(messages)
    }

    /// An `iothub` step: one request per selected device, through the run's cloud operator. A worker of a
    /// split run has none and skips the step (its coordinator sends it); a whole run without one logs each
    /// request as refused, so the report shows the step did nothing.
    private func iotHub(_ spec: IoTHubSpec, for ordinals: [Int], step: Int) {
        let requests = CloudRequests.render(spec, step: step, ordinals: ordinals, devices: devices, seed: plan.seed)
        if let cloud = cloud.value {
            cloud.send(requests)
            return
        }
        guard partition.count == 1 else { return }
        let now = clock.now()
        for request in requests {
            let detail = CloudMessageDetail(kind: request.kind, subject: request.summary,
                                            outcome: .refused("no IoT Hub service side in this run"))
            sink.record(RunEvent(at: now, device: request.deviceID, kind: .faultInjected(fault: .cloudMessage, detail: detail.text)))
        }
        controlTraffic.value += requests.count
    }

    public func timelineFinished(stoppedBy mode: StopMode?) {
        finishTimeline(mode)
    }

    /// Completes `timelineFinished` once, whether the timeline ended or a stop came first.
    private func finishTimeline(_ mode: StopMode?) {
        guard !timelineOver.value else { return }
        timelineOver.value = true
        finishedPromise.succeed(mode)
    }
}

extension TimelineAction {
    var isStop: Bool {
        if case .stop = self { return true }
        return false
    }
}
