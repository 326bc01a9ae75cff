import Ledger
import Scenario

/// What a device's session plan says the broker must keep for it while it is away.
public struct PlannedSession: Sendable, Hashable {
    /// Clean start 0 and, for MQTT 5, a session expiry above 0 (MQTT 3.1.1: clean session 0).
    public var persistent: Bool
    /// Seconds the broker keeps the session after the connection ends; nil ⇒ no limit the device sets
    /// (MQTT 3.1.1, or MQTT 5's 0xFFFFFFFF).
    public var expirySeconds: UInt32?

    public init(persistent: Bool, expirySeconds: UInt32? = nil) {
        self.persistent = persistent
        self.expirySeconds = expirySeconds
    }

    public init(_ device: DevicePlan) {
        guard device.protocolVersion == .v5 else {
            self.init(persistent: !device.cleanStart)
            return
        }
        let expiry = device.sessionExpiry.map { UInt32(clamping: $0.components.seconds) } ?? 0
        self.init(persistent: !device.cleanStart && expiry > 0, expirySeconds: expiry == .max ? nil : expiry)
    }
}

/// How one offline spell's queued messages fared.
public enum QueuedDeliveryJudgement: String, Codable, Sendable, Hashable, CaseIterable {
    /// The device found its session and got each queued message once, in order.
    case complete
    /// The device found its session gone and, as due, none of the queued messages.
    case discarded
    /// The session was found but some queued messages never arrived.
    case missing
    /// A queued message arrived more than once.
    case duplicated
    /// All arrived, but not in the order sent.
    case outOfOrder = "out-of-order"
    /// Queued messages arrived although the session was gone.
    case unexpected
    /// The device had not come back when the run ended.
    case undecided

    public var failed: Bool { [.missing, .duplicated, .outOfOrder, .unexpected].contains(self) }
}

/// The verdict on the messages sent to one device during one offline spell.
public struct QueuedDeliveryVerdict: Codable, Sendable, Hashable {
    public var device: String
    /// When the connection ended, and when the device was connected again (run clock, ns).
    public var offlineAt: UInt64
    public var returnedAt: UInt64?
    /// QoS ≥ 1 messages sent to the device during the spell, and how many of them arrived after its return.
    public var queued: Int
    public var received: Int
    public var judgement: QueuedDeliveryJudgement
    public var reason: String
}

/// Verdicts on persistent sessions, pure over the ledger: sessions the broker lost, and the delivery of the
/// messages queued for devices while they were offline.
public enum SessionVerdicts {
    /// Each device that asked for a persistent session, reconnected within its session expiry and was told
    /// there was no session (CONNACK session present 0), with the first such reconnect described.
    public static func lostSessions(_ events: [RunEvent], sessions: [String: PlannedSession]) -> [(device: String, detail: String)] {
        WillVerdicts.eventsByDevice(events).compactMap { device, deviceEvents in
            guard let session = sessions[device], session.persistent,
                  let detail = firstLostSession(deviceEvents, session) else { return nil }
            return (device, detail)
        }
    }

    private static func firstLostSession(_ events: [RunEvent], _ session: PlannedSession) -> String? {
        var online = false
        var endedAt: UInt64?
        for event in events {
            switch event.kind {
            case .connected(_, _, _, _, let sessionPresent):
                if let ended = endedAt, !sessionPresent {
                    let away = event.at - min(ended, event.at)
                    if session.expirySeconds.map({ away <= UInt64($0) * 1_000_000_000 }) ?? true {
                        return "session present 0 on the reconnect at \(WillVerdicts.seconds(event.at)), "
                            + "\(WillVerdicts.seconds(away)) after its connection ended"
                            + (session.expirySeconds.map { ", within its session expiry of \($0) s" } ?? "")
                    }
                }
                online = true
                endedAt = nil
            case _ where online && endsConnection(event.kind):
                online = false
                endedAt = event.at
            default:
                continue
            }
        }
        return nil
    }

    /// One verdict per offline spell of a persistent-session device during which QoS ≥ 1 messages were sent
    /// to it (by `publish` steps naming the device).
    ///
    /// A spell runs from the end of a connection to the next CONNACK. Messages are matched by topic and
    /// payload digest against the device's receptions from its return until its next disconnect, less the
    /// retained ones (the broker's store, not its queue) and less as many as were sent live in that time.
    public static func queuedDelivery(_ events: [RunEvent], sessions: [String: PlannedSession]) -> [QueuedDeliveryVerdict] {
        var verdicts: [QueuedDeliveryVerdict] = []
        for (device, deviceEvents) in WillVerdicts.eventsByDevice(events) {
            guard let session = sessions[device], session.persistent else { continue }
            verdicts += spells(deviceEvents).compactMap { judge($0, device: device) }
        }
        return verdicts
    }

    /// A message as the verdict tells messages apart.
    private struct Key: Hashable {
        var topic: String
        var digest: UInt64
    }

    private struct Spell {
        var offlineAt: UInt64
        var queued: [Key] = []
        var returnedAt: UInt64?
        var sessionPresent = false
        /// Sent to the device live, from its return until its next disconnect; received by it, from the
        /// spell's start until its next disconnect.
        var liveSent: [Key] = []
        var received: [Key] = []
    }

    private static func spells(_ events: [RunEvent]) -> [Spell] {
        var spells: [Spell] = []
        var online = false
        for event in events {
            switch event.kind {
            case .connected(_, _, _, _, let sessionPresent):
                online = true
                if let last = spells.indices.last, spells[last].returnedAt == nil {
                    spells[last].returnedAt = event.at
                    spells[last].sessionPresent = sessionPresent
                }
            case .faultInjected(.publish, let topic?, _, _, _, _, _, let message?) where message.qos > 0:
                guard let last = spells.indices.last else { continue }
                let key = Key(topic: topic, digest: message.digest)
                if online { spells[last].liveSent.append(key) } else { spells[last].queued.append(key) }
            case _ where online && endsConnection(event.kind):
                online = false
                spells.append(Spell(offlineAt: event.at))
            case .messageReceived(let topic, let message) where !message.retain:
                // Also while offline: a silent device's connection delivers until the broker gives up on it.
                guard let last = spells.indices.last else { continue }
                spells[last].received.append(Key(topic: topic, digest: message.digest))
            default:
                continue
            }
        }
        return spells
    }

    private static func judge(_ spell: Spell, device: String) -> QueuedDeliveryVerdict? {
        guard !spell.queued.isEmpty else { return nil }
        let keys = Set(spell.queued)
        let received = spell.received.filter(keys.contains)
        var verdict = QueuedDeliveryVerdict(
            device: device, offlineAt: spell.offlineAt, returnedAt: spell.returnedAt, queued: spell.queued.count,
            received: 0, judgement: .undecided, reason: "")
        let away = "\(spell.queued.count) message(s) sent while offline from \(WillVerdicts.seconds(spell.offlineAt))"
        guard let back = spell.returnedAt else {
            verdict.reason = away + "; the device had not come back when the run ended"
            return verdict
        }
        // Live messages with a queued one's topic and payload are expected as well, after the queued ones.
        var expected: [Key: Int] = [:]
        for key in spell.liveSent where keys.contains(key) { expected[key, default: 0] += 1 }
        if spell.sessionPresent { for key in spell.queued { expected[key, default: 0] += 1 } }
        var observed: [Key: Int] = [:]
        for key in received { observed[key, default: 0] += 1 }
        let short = expected.reduce(0) { $0 + max(0, $1.value - observed[$1.key, default: 0]) }
        let extra = observed.reduce(0) { $0 + max(0, $1.value - expected[$1.key, default: 0]) }
        let live = expected.values.reduce(0, +) - (spell.sessionPresent ? spell.queued.count : 0)
        verdict.received = max(0, received.count - live)
        let returned = "; back at \(WillVerdicts.seconds(back))"
        guard spell.sessionPresent else {
            verdict.judgement = extra > 0 ? .unexpected : .discarded
            verdict.reason = away + returned + " without its session; "
                + (extra > 0 ? "\(extra) of them arrived nonetheless" : "none arrived, as due")
            return verdict
        }
        if short > 0 {
            verdict.judgement = .missing
            verdict.reason = away + returned + " with its session; \(short) never arrived"
        } else if extra > 0 {
            verdict.judgement = .duplicated
            verdict.reason = away + returned + " with its session; \(extra) arrived more than once"
        } else if Array(received.prefix(spell.queued.count)) != spell.queued {
            verdict.judgement = .outOfOrder
            let position = zip(received, spell.queued).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
            verdict.reason = away + returned + " with its session; message \(position + 1) arrived out of order"
        } else {
            verdict.judgement = .complete
            verdict.reason = away + returned + " with its session; each arrived once, in order"
        }
        return verdict
    }

    /// The connection ends: a fault that ends it there and then (a takeover ends it when the broker says so),
    /// or its close.
    private static func endsConnection(_ kind: RunEventKind) -> Bool {
        switch kind {
        case .faultInjected(let fault, _, _, _, _, _, _, _): WillVerdicts.endingKind(of: fault).map { $0 != .takeover } ?? false
        case .disconnected: true
        default: false
        }
    }
}
