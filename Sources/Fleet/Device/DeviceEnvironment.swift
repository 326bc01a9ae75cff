import Histogram
import Ledger
import MQTTClient
import NIOCore
import Scenario

/// Opens MQTT connections for devices (and impostors): TCP or TLS, the device's identity, its source
/// address, its link shape. The real one is `MQTTDeviceLinkFactory`.
protocol DeviceLinkFactory: Sendable {
    func open(
        device: DevicePlan,
        configuration: MQTTConnectionConfiguration,
        session: DeviceSession?,
        certificateFault: CertFaultKind?,
        shape: LinkShape,
        on eventLoop: any EventLoop,
        delegate: any DeviceLinkDelegate
    ) -> any DeviceLink
}

/// What the devices on one event loop share: where events go, the run clock (and the wall clock SAS tokens
/// name), how links are opened, the loop's counters.
final class DeviceEnvironment {
    let eventLoop: any EventLoop
    let sink: any RunEventSink
    let clock: RunClock
    let wallClock: WallClock
    let links: any DeviceLinkFactory
    let counters = DeviceCounters()
    /// Publish → PUBACK/PUBCOMP latency of this loop's telemetry, in nanoseconds (1 µs, 3 digits).
    var acknowledgementLatency: Histogram<UInt64> = {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }()

    init(eventLoop: any EventLoop, sink: any RunEventSink, clock: RunClock, wallClock: WallClock = .system,
         links: any DeviceLinkFactory) {
        self.eventLoop = eventLoop
        self.sink = sink
        self.clock = clock
        self.wallClock = wallClock
        self.links = links
    }

    func record(_ device: String?, _ kind: RunEventKind) {
        sink.record(RunEvent(at: clock.now(), device: device, kind: kind))
    }

    /// An event at a moment read earlier, so that events and the durations between them agree exactly.
    func record(_ device: String?, _ kind: RunEventKind, at: UInt64) {
        sink.record(RunEvent(at: at, device: device, kind: kind))
    }
}
