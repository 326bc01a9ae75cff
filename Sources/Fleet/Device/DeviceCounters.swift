/// Live counts for one event loop's devices, touched only on that loop (no atomics, no locks on the
/// hot path); the fleet sums the loops' counters when asked for a snapshot.
final class DeviceCounters {
    var connecting = 0
    var connected = 0
    var down = 0
    var messagesOut: UInt64 = 0
    var messagesAcked: UInt64 = 0
    var faults = 0
    var traffic = 0
    var openLinks = 0

    var snapshot: FleetCounters {
        FleetCounters(connecting: connecting, connected: connected, down: down, messagesOut: messagesOut,
                      messagesAcked: messagesAcked, faults: faults, traffic: traffic)
    }
}

/// The fleet at one moment, for a live view and the summary.
public struct FleetCounters: Sendable, Hashable, Codable {
    public var connecting = 0
    public var connected = 0
    /// Started devices that are neither connected nor connecting (backing off, held down, given up).
    public var down = 0
    public var messagesOut: UInt64 = 0
    public var messagesAcked: UInt64 = 0
    /// Faults injected on devices: endings, takeovers, throttling, certificate and SAS token faults.
    public var faults = 0
    /// Traffic the timeline added, counted apart from faults: bursts, controller publishes, IoT Hub operator requests.
    public var traffic = 0

    public init(connecting: Int = 0, connected: Int = 0, down: Int = 0, messagesOut: UInt64 = 0,
                messagesAcked: UInt64 = 0, faults: Int = 0, traffic: Int = 0) {
        self.connecting = connecting
        self.connected = connected
        self.down = down
        self.messagesOut = messagesOut
        self.messagesAcked = messagesAcked
        self.faults = faults
        self.traffic = traffic
    }

    public static func + (lhs: FleetCounters, rhs: FleetCounters) -> FleetCounters {
        FleetCounters(connecting: lhs.connecting + rhs.connecting, connected: lhs.connected + rhs.connected,
                      down: lhs.down + rhs.down, messagesOut: lhs.messagesOut + rhs.messagesOut,
                      messagesAcked: lhs.messagesAcked + rhs.messagesAcked, faults: lhs.faults + rhs.faults,
                      traffic: lhs.traffic + rhs.traffic)
    }
}

/// One device's telemetry ground truth, for `telemetrySummary` events and observers' loss checks.
public struct DeviceTelemetryCount: Sendable, Hashable, Codable {
    public var clientID: String
    public var sent: UInt64
    public var acked: UInt64
    /// The last sequence number published; nil when nothing was.
    public var lastSequence: UInt64?
    /// Messages the broker delivered to the device on its subscriptions (downlink).
    public var received: UInt64
}

extension DeviceFirmware.Phase {
    /// Which live-view column a phase counts in; nil for devices not started or stopped.
    var counterColumn: ReferenceWritableKeyPath<DeviceCounters, Int>? {
        switch self {
        case .off, .stopped: nil
        case .booting, .connecting: \.connecting
        case .online: \.connected
        case .backoff, .silent, .held, .gaveUp: \.down
        }
    }
}
