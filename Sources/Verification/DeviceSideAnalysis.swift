import Ledger

/// How often something happened across the fleet, with the devices it happened to most.
///
/// The list is bounded (``listed``) so a report of 100 000 devices stays small; `devices` says how many there were.
public struct DeviceTally: Codable, Sendable, Hashable {
    public static let listed = 20

    public struct Entry: Codable, Sendable, Hashable {
        public var device: String
        public var count: Int

        public init(device: String, count: Int) {
            self.device = device
            self.count = count
        }
    }

    public var total = 0
    /// Devices with a non-zero count (summed over runs when merged).
    public var devices = 0
    /// Most first, then by name; at most ``listed``.
    public var top: [Entry] = []

    public init() {}

    /// `total` may exceed the devices' sum: events without a device (the controller's) count only there.
    public init(total: Int, byDevice: [String: Int]) {
        let nonZero = byDevice.filter { $0.value > 0 }
        self.total = total
        devices = nonZero.count
        top = Self.worst(nonZero)
    }

    /// Runs' tallies combined; the list is re-ranked from both lists, so past ``listed`` devices it is approximate.
    public static func + (lhs: DeviceTally, rhs: DeviceTally) -> DeviceTally {
        var sum = DeviceTally()
        sum.total = lhs.total + rhs.total
        sum.devices = lhs.devices + rhs.devices
        var counts: [String: Int] = [:]
        for entry in lhs.top + rhs.top { counts[entry.device, default: 0] += entry.count }
        sum.top = worst(counts)
        return sum
    }

    private static func worst(_ counts: [String: Int]) -> [Entry] {
        counts.map { Entry(device: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.device) > ($1.count, $0.device) }
            .prefix(listed).map { $0 }
    }
}

/// Persistent sessions carried over reconnects (`sessionCarried` events): what went out again because the broker
/// kept the session, and what was given up because it did not. Resent QoS 1 telemetry reaches the observers
/// again, so the telemetry duplicates include it.
public struct SessionSection: Codable, Sendable, Hashable {
    /// Reconnects with something in flight to resend or abandon.
    public var reconnects = 0
    /// Publishes sent again with DUP (or PUBRELs sent again) into a resumed session.
    public var resent = DeviceTally()
    /// Telemetry in flight discarded because the broker had not kept the session.
    public var abandoned = DeviceTally()

    public init() {}

    public static func + (lhs: SessionSection, rhs: SessionSection) -> SessionSection {
        var sum = SessionSection()
        sum.reconnects = lhs.reconnects + rhs.reconnects
        sum.resent = lhs.resent + rhs.resent
        sum.abandoned = lhs.abandoned + rhs.abandoned
        return sum
    }
}

/// What the devices' MQTT clients refused or dropped, as the firmware would: each is logged once per connection,
/// so the counts are connections it happened on, not messages.
public struct DeviceErrorSection: Codable, Sendable, Hashable {
    /// Publishes the device's client refused to send (`publishRefused`): publish() failed, the message is gone.
    public struct Refusals: Codable, Sendable, Hashable {
        public var connections = DeviceTally()
        /// Connections by the client's reason.
        public var reasons: [String: Int] = [:]

        public init() {}
    }

    /// Packets from the broker over the device's buffer (`oversizedPacketDropped`).
    public struct Oversized: Codable, Sendable, Hashable {
        public var connections = DeviceTally()
        /// Connections by packet type, where the library dropped the packet whole.
        public var dropped: [String: Int] = [:]
        /// Connections by packet type, where it delivered the packet cut to its buffer (esp-mqtt's first chunk).
        public var cut: [String: Int] = [:]
        /// The largest such packet and the limit it was over.
        public var maxSize = 0
        public var limitOfMax = 0

        public init() {}
    }

    /// IoT Hub twin requests the hub answered with a status other than 2xx (`twinAnswered`), counted per request.
    public struct TwinFailures: Codable, Sendable, Hashable {
        public var requests = DeviceTally()
        /// Requests by the hub's status (`"429"`: 2).
        public var statuses: [String: Int] = [:]

        public init() {}
    }

    public var refusals = Refusals()
    public var oversized = Oversized()
    /// nil (absent) when every twin answer was a success.
    public var twinFailures: TwinFailures?

    public init() {}

    public static func + (lhs: DeviceErrorSection, rhs: DeviceErrorSection) -> DeviceErrorSection {
        var sum = DeviceErrorSection()
        sum.refusals.connections = lhs.refusals.connections + rhs.refusals.connections
        sum.refusals.reasons = lhs.refusals.reasons.merging(rhs.refusals.reasons, uniquingKeysWith: +)
        sum.oversized.connections = lhs.oversized.connections + rhs.oversized.connections
        sum.oversized.dropped = lhs.oversized.dropped.merging(rhs.oversized.dropped, uniquingKeysWith: +)
        sum.oversized.cut = lhs.oversized.cut.merging(rhs.oversized.cut, uniquingKeysWith: +)
        let larger = lhs.oversized.maxSize >= rhs.oversized.maxSize ? lhs.oversized : rhs.oversized
        sum.oversized.maxSize = larger.maxSize
        sum.oversized.limitOfMax = larger.limitOfMax
        if lhs.twinFailures != nil || rhs.twinFailures != nil {
            let left = lhs.twinFailures ?? TwinFailures()
            let right = rhs.twinFailures ?? TwinFailures()
            var twin = TwinFailures()
            twin.requests = left.requests + right.requests
            twin.statuses = left.statuses.merging(right.statuses, uniquingKeysWith: +)
            sum.twinFailures = twin
        }
        return sum
    }
}

/// Reads the device-side sections out of a ledger.
public enum DeviceSideAnalysis {
    /// The session section, or nil when no reconnect carried anything.
    public static func sessions(_ events: [RunEvent]) -> SessionSection? {
        var section = SessionSection()
        var resent: [String: Int] = [:]
        var abandoned: [String: Int] = [:]
        var total = (resent: 0, abandoned: 0)
        for event in events {
            guard case .sessionCarried(let resentCount, let abandonedCount) = event.kind else { continue }
            section.reconnects += 1
            total.resent += resentCount
            total.abandoned += abandonedCount
            if let device = event.device {
                resent[device, default: 0] += resentCount
                abandoned[device, default: 0] += abandonedCount
            }
        }
        guard section.reconnects > 0 else { return nil }
        section.resent = DeviceTally(total: total.resent, byDevice: resent)
        section.abandoned = DeviceTally(total: total.abandoned, byDevice: abandoned)
        return section
    }

    /// The device-side error section, or nil when no client refused or dropped anything.
    public static func errors(_ events: [RunEvent]) -> DeviceErrorSection? {
        var section = DeviceErrorSection()
        var refused: [String: Int] = [:]
        var oversized: [String: Int] = [:]
        var total = (refused: 0, oversized: 0)
        let twin = TwinAnalysis.failures(events)
        for event in events {
            switch event.kind {
            case .publishRefused(_, let reason):
                total.refused += 1
                section.refusals.reasons[reason, default: 0] += 1
                if let device = event.device { refused[device, default: 0] += 1 }
            case .oversizedPacketDropped(let packetType, let size, let limit, let deliveredBytes):
                total.oversized += 1
                if deliveredBytes > 0 {
                    section.oversized.cut[packetType, default: 0] += 1
                } else {
                    section.oversized.dropped[packetType, default: 0] += 1
                }
                if size > section.oversized.maxSize {
                    section.oversized.maxSize = size
                    section.oversized.limitOfMax = limit
                }
                if let device = event.device { oversized[device, default: 0] += 1 }
            default:
                continue
            }
        }
        guard total.refused + total.oversized > 0 || twin != nil else { return nil }
        section.twinFailures = twin
        section.refusals.connections = DeviceTally(total: total.refused, byDevice: refused)
        section.oversized.connections = DeviceTally(total: total.oversized, byDevice: oversized)
        return section
    }
}
