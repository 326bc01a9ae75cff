import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import Scenario

/// The devices living on one event loop, and their counters. Only touched on that loop.
final class DeviceShard {
    let environment: DeviceEnvironment
    var devices: [VirtualDevice] = []
    private var impostors: [VirtualDevice] = []
    private let seed: UInt64

    init(environment: DeviceEnvironment, seed: UInt64) {
        self.environment = environment
        self.seed = seed
    }

    private var isolatedLoop: NIOIsolatedEventLoop { environment.eventLoop.assumeIsolatedUnsafeUnchecked() }

    /// Carries out a timeline step for this shard's share of the selected devices.
    /// `local` holds (rank among all selected devices, index in `devices`).
    func perform(_ action: TimelineAction, local: [(rank: Int, index: Int)], selectedCount: Int) {
        switch action {
        case .ramp(let spec):
            for (rank, index) in local {
                let device = devices[index]
                let offset = selectedCount > 1 ? spec.over * (Double(rank) / Double(selectedCount)) : .zero
                later(offset) { device.phase == .off ? device.powerOn() : device.reconnectNow() }
            }
        case .disconnect(let spec):
            for (_, index) in local { devices[index].disconnect(spec.mode, resume: spec.reconnect) }
        case .duplicateClientID(let spec):
            for (_, index) in local { startImpostor(for: devices[index], spec: spec) }
        case .throttle(let spec):
            let shape = LinkShape(bandwidthBitsPerSecond: spec.bandwidthBitsPerSecond, latency: spec.latency,
                                  jitter: spec.jitter, stalled: spec.stall)
            let detail = Self.describe(spec)
            for (_, index) in local {
                let device = devices[index]
                device.throttle(shape, detail: detail)
                later(spec.for) { device.throttle(.unshaped, detail: "after \(spec.for)") }
            }
        case .burst(let spec):
            for (_, index) in local {
                let device = devices[index]
                if spec.over == .zero || spec.count <= 1 {
                    device.burst(count: spec.count)
                } else {
                    for message in 0..<spec.count {
                        later(spec.over * (Double(message) / Double(spec.count))) { device.burst(count: 1) }
                    }
                }
            }
        case .publish, .iotHub:
            // Sent by the fleet's controller connection or the hub's service side (see `Fleet`), not by the devices.
            break
        case .certFault(let spec):
            for (_, index) in local { devices[index].presentCertificateFault(spec.kind) }
        case .sasFault(let spec):
            for (_, index) in local {
                let device = devices[index]
                device.presentSASFault(spec.kind)
                if let duration = spec.duration { later(duration) { device.presentSASFault(nil) } }
            }
        case .stop(let mode):
            stopAll(mode)
        case .wait:
            break
        }
    }

    func stopAll(_ mode: StopMode) {
        for device in devices { device.stop(mode) }
        for impostor in impostors { impostor.stop(mode) }
    }

    /// Connections still open (devices only), to know when a stop has finished.
    var openLinks: Int { environment.counters.openLinks }

    private func startImpostor(for device: VirtualDevice, spec: DuplicateSpec) {
        let impostor = VirtualDevice(
            plan: device.plan, profile: device.profile, environment: environment, seed: seed ^ 0x1A05_7E12,
            role: .impostor(every: spec.every, retries: spec.impostorRetries))
        impostors.append(impostor)
        environment.counters.faults += 1
        environment.record(device.plan.clientID, .faultInjected(
            fault: .impostorStarted,
            detail: "retries: \(spec.impostorRetries.map(String.init) ?? "forever"), every \(spec.every)"))
        device.impostorActive = true
        impostor.powerOn()
        if let lifetime = spec.for {
            later(lifetime) {
                impostor.stop(.graceful)
                device.impostorActive = false
            }
        }
    }

    private func later(_ delay: Duration, _ body: @escaping () -> Void) {
        if delay <= .zero {
            body()
        } else {
            isolatedLoop.scheduleTask(in: TimeAmount(delay), body)
        }
    }

    static func describe(_ spec: ThrottleSpec) -> String {
        var parts: [String] = []
        if let bandwidth = spec.bandwidthBitsPerSecond { parts.append("bandwidth \(bandwidth) bit/s") }
        if spec.latency > .zero { parts.append("latency \(spec.latency)") }
        if spec.jitter > .zero { parts.append("jitter \(spec.jitter)") }
        if spec.stall { parts.append("stall") }
        parts.append("for \(spec.for)")
        return parts.joined(separator: ", ")
    }
}
