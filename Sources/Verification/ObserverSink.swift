import Ledger

/// What one observer connection does with each message the broker delivers to it.
///
/// A plain struct owned by the observer connection's event loop: no locks, no actor
/// hops, no allocation per telemetry message. Telemetry is counted in per-device
/// sequence trackers and an end-to-end histogram; wills and status messages (rare)
/// become ledger events. At the end of the run the lead collects every observer's
/// sink and merges them (``ObserverSink/merged(_:)``).
///
/// A device's telemetry must reach exactly one sink for loss to be exact: observers
/// that split one subscription (`$share`, round robin per message) must share one
/// sink on one event loop; observers that partition devices by topic may each own
/// one. Wills and status messages must reach one observer only, or each copy counts
/// as a duplicated will.
public struct ObserverSink: Sendable {
    public let roster: ObserverRoster
    private let ledger: any RunEventSink
    /// Nanoseconds per unit of the send timestamp (`{timestamp}` is milliseconds).
    public let timestampUnitNs: UInt64

    /// Per-device trackers, indexed by device ordinal.
    public private(set) var trackers: [SequenceTracker]
    /// End-to-end latencies (send timestamp → delivery).
    public private(set) var endToEnd = LatencyHistogram()
    /// Telemetry deliveries per second of run time (index = second).
    public private(set) var deliveredPerSecond: [UInt64] = []
    /// Messages on topics that belong to no device.
    public private(set) var unknownTopic: UInt64 = 0
    /// Those of them delivered retained: left on the observed topics before the run (earlier runs' statuses).
    public private(set) var unknownTopicRetained: UInt64 = 0
    /// Telemetry messages without a readable sequence.
    public private(set) var unreadable: UInt64 = 0

    public init(roster: ObserverRoster, ledger: any RunEventSink, timestampUnitNs: UInt64 = 1_000_000) {
        self.roster = roster
        self.ledger = ledger
        self.timestampUnitNs = timestampUnitNs
        self.trackers = Array(repeating: SequenceTracker(firstSequence: roster.firstSequence), count: roster.deviceCount)
    }

    /// One PUBLISH as delivered to the observer.
    ///
    /// - Parameters:
    ///   - topic, payload: the raw bytes of the packet (no copy is made for telemetry).
    ///   - retained: the RETAIN flag as delivered.
    ///   - receivedAtNs: the run clock at delivery.
    ///   - timestampClockNowNs: the clock the devices' timestamps use (Unix time
    ///     in ns for `{timestamp}`), read at delivery; nil to skip end-to-end latency.
    ///   - userProperty: the packet's first MQTT 5 user property of a name, for telemetry
    ///     that carries its sequence or timestamp there.
    public mutating func received(
        topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        retained: Bool,
        receivedAtNs: UInt64,
        timestampClockNowNs: UInt64? = nil,
        userProperty: (String) -> String? = { _ in nil }
    ) {
        guard let entry = roster.directory.lookup(topic) else {
            unknownTopic &+= 1
            if retained { unknownTopicRetained &+= 1 }
            return
        }
        if entry.roles.contains(.telemetry) {
            guard !retained else { return }
            guard let reader = roster.reader(for: entry.device),
                  let fields = reader.read(payload: payload, userProperty: userProperty) else {
                unreadable &+= 1
                return
            }
            var sentAtNs: UInt64?
            if let timestamp = fields.timestamp, let now = timestampClockNowNs {
                let (sent, overflow) = timestamp.multipliedReportingOverflow(by: timestampUnitNs)
                if !overflow && sent <= now {
                    // Express the send time on the run clock so `telemetry` stays clock-agnostic.
                    sentAtNs = receivedAtNs >= now - sent ? receivedAtNs - (now - sent) : 0
                }
            }
            telemetry(device: entry.device, sequence: fields.sequence, sentAtNs: sentAtNs, receivedAtNs: receivedAtNs)
            return
        }
        let topicText = String(decoding: topic, as: UTF8.self)
        if entry.roles == .reply {
            guard !retained else { return }
            ledger.record(RunEvent(at: receivedAtNs, device: roster.clientIDs[entry.device], kind: .replyReceived(topic: topicText)))
            return
        }
        let payloadText = String(decoding: payload, as: UTF8.self)
        let isWill = entry.roles.contains(.will)
            && (!entry.roles.contains(.status) || payloadText == roster.willPayloads[entry.device])
        if isWill {
            will(device: entry.device, topic: topicText, payload: payloadText, retained: retained, at: receivedAtNs)
        } else {
            status(device: entry.device, topic: topicText, payload: payloadText, retained: retained, at: receivedAtNs)
        }
    }

    /// One telemetry message of `device` (ordinal) with its sequence; `sentAtNs` on the
    /// run clock when known.
    @inline(__always)
    public mutating func telemetry(device: Int, sequence: UInt64, sentAtNs: UInt64?, receivedAtNs: UInt64) {
        trackers[device].record(sequence)
        if let sent = sentAtNs, receivedAtNs >= sent {
            endToEnd.record(receivedAtNs - sent)
        }
        let second = Int(receivedAtNs / 1_000_000_000)
        if second >= deliveredPerSecond.count {
            deliveredPerSecond.append(contentsOf: repeatElement(0, count: second - deliveredPerSecond.count + 1))
        }
        deliveredPerSecond[second] &+= 1
    }

    /// A will of `device` was delivered; recorded in the ledger for the verdicts.
    public mutating func will(device: Int, topic: String, payload: String, retained: Bool, at: UInt64) {
        ledger.record(RunEvent(
            at: at, device: roster.clientIDs[device],
            kind: .willReceived(topic: topic, payload: payload, retained: retained)
        ))
    }

    /// A status (birth) message of `device` was delivered; recorded in the ledger.
    public mutating func status(device: Int, topic: String, payload: String, retained: Bool, at: UInt64) {
        ledger.record(RunEvent(
            at: at, device: roster.clientIDs[device],
            kind: .statusReceived(topic: topic, payload: payload, retained: retained)
        ))
    }
}
