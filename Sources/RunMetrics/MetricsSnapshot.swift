/// The run at one moment, as plain numbers: what `fleet run` reads from the fleet's and the
/// observers' live counters once a second and hands to ``MetricsExporter/update(_:)``.
///
/// Totals are cumulative since the run started (they become Prometheus counters); the device
/// counts are the current state (gauges). Plain values keep this target a leaf: it knows nothing
/// of the fleet, so the exporter can be tested and reused without one.
public struct MetricsSnapshot: Sendable, Hashable {
    /// Devices in the plan.
    public var devicesTotal: Int
    /// Devices with an accepted CONNACK.
    public var devicesConnected: Int
    /// Devices booting or waiting for CONNACK.
    public var devicesConnecting: Int
    /// Started devices neither connected nor connecting (backing off, held down, given up).
    public var devicesDown: Int
    /// Telemetry and timeline messages the devices published.
    public var messagesPublished: UInt64
    /// Of those, QoS 1/2 messages the broker acknowledged.
    public var messagesAcknowledged: UInt64
    /// Messages the observers received (telemetry, wills and status).
    public var messagesReceived: UInt64
    /// Faults the timeline injected.
    public var faultsInjected: UInt64
    /// Wills the observers received.
    public var willsReceived: UInt64
    /// Will verdicts so far by judgement (`delivered`, `missing`, `undecided`, …); current values, not totals.
    public var willVerdicts: [String: Int]
    /// Seconds since the run started.
    public var elapsedSeconds: Double

    public init(
        devicesTotal: Int = 0, devicesConnected: Int = 0, devicesConnecting: Int = 0, devicesDown: Int = 0,
        messagesPublished: UInt64 = 0, messagesAcknowledged: UInt64 = 0, messagesReceived: UInt64 = 0,
        faultsInjected: UInt64 = 0, willsReceived: UInt64 = 0, willVerdicts: [String: Int] = [:],
        elapsedSeconds: Double = 0
    ) {
        self.devicesTotal = devicesTotal
        self.devicesConnected = devicesConnected
        self.devicesConnecting = devicesConnecting
        self.devicesDown = devicesDown
        self.messagesPublished = messagesPublished
        self.messagesAcknowledged = messagesAcknowledged
        self.messagesReceived = messagesReceived
        self.faultsInjected = faultsInjected
        self.willsReceived = willsReceived
        self.willVerdicts = willVerdicts
        self.elapsedSeconds = elapsedSeconds
    }
}
