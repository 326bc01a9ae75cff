import Ledger

/// Judges every injected ending against the wills the observers saw.
///
/// Pure: the ledger's events in, one verdict per ending (and per will that no
/// ending explains) out. Per device, events are replayed in time order: an ending
/// opens a case (a `faultInjected` of an ending kind, or a `disconnected` that no
/// fault explains); each live will (RETAIN clear — retained ones predate the
/// observer's subscription) is attributed to the latest case begun before it.
public enum WillVerdicts {
    /// One verdict per case, in device then time order.
    public static func judge(_ events: [RunEvent], rules: WillRules) -> [WillVerdict] {
        let runEnd = events.map(\.at).max() ?? 0
        var verdicts: [WillVerdict] = []
        for (device, deviceEvents) in eventsByDevice(events) {
            verdicts += judgeDevice(device, deviceEvents, rules: rules, runEnd: runEnd)
        }
        return verdicts
    }

    /// The cases (endings) of every device, before judgement: used by the retained
    /// status check to know until when a will may still arrive.
    static func cases(_ events: [RunEvent], rules: WillRules) -> [String: [EndingCase]] {
        var result: [String: [EndingCase]] = [:]
        for (device, deviceEvents) in eventsByDevice(events) {
            result[device] = replay(device, deviceEvents, rules: rules).cases
        }
        return result
    }

    /// Events with a device, grouped per device, each group in time order (stable).
    static func eventsByDevice(_ events: [RunEvent]) -> [(String, [RunEvent])] {
        var groups: [String: [RunEvent]] = [:]
        var order: [String] = []
        for event in events {
            guard let device = event.device else { continue }
            if groups[device] == nil { order.append(device) }
            groups[device, default: []].append(event)
        }
        return order.map { device in (device, timeOrdered(groups[device]!)) }
    }

    /// Events sorted by time; events of the same moment keep their arrival order.
    static func timeOrdered(_ events: [RunEvent]) -> [RunEvent] {
        events.enumerated()
            .sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            .map(\.element)
    }

    /// The verdicts of one device whose events (any order) are known up to `now`: what `judge` would say
    /// if the run ended then. Endings whose deadline is still ahead are `undecided`.
    static func judge(device: String, events: [RunEvent], rules: WillRules, now: UInt64) -> [WillVerdict] {
        judgeDevice(device, timeOrdered(events), rules: rules, runEnd: now)
    }

    /// One ending of one device and the wills attributed to it.
    struct EndingCase {
        var ending: EndingKind
        var injectedAt: UInt64
        var endedAt: UInt64
        var keepAlive: UInt16?
        var willDelaySeconds: UInt32
        /// MQTT 5 only; nil for MQTT 3.1.1, where the will goes at once.
        var sessionExpirySeconds: UInt32?
        var expectWill: Bool
        var reconnectedAt: UInt64?
        var wills: [UInt64] = []
        var rules: WillRules

        /// MQTT 5 §3.1.3.2.2: the will is published when its delay ends or the session does, whichever is
        /// first (a session expiry of 0 ends the session with the connection).
        var effectiveDelaySeconds: UInt32 { min(willDelaySeconds, sessionExpirySeconds ?? .max) }
        var willDelayNs: UInt64 { UInt64(effectiveDelaySeconds) * 1_000_000_000 }
        /// What the will waits for, in words.
        var delayName: String {
            effectiveDelaySeconds < willDelaySeconds
                ? "session expiry of \(effectiveDelaySeconds) s" : "will delay of \(willDelaySeconds) s"
        }
        /// The earliest moment a will is legitimate. A takeover ends when the broker accepts the other
        /// connection, which the device only learns when its socket closes: the broker may publish the will
        /// (at once without a will delay, MQTT 5 §3.1.3.2.2; mosquitto does so on 3.1.1 too) before that close
        /// reaches us, so its delay counts from the impostor's start.
        var earliest: UInt64 { (ending == .takeover ? injectedAt : endedAt) + willDelayNs }
        /// When the will is due at the latest, before grace.
        var due: UInt64 { endedAt + rules.detectionNs(ending, keepAliveSeconds: keepAlive) + willDelayNs }
        var deadline: UInt64 { due + rules.graceNs }
        /// The device came back before the delayed will was due: MQTT 5 cancels it.
        var cancelledByReconnect: Bool {
            guard effectiveDelaySeconds > 0, let back = reconnectedAt else { return false }
            return back < due
        }
    }

    private struct Replay {
        var cases: [EndingCase] = []
        /// Wills that arrived before any ending of the device.
        var orphanWills: [UInt64] = []
    }

    private static func replay(_ device: String, _ events: [RunEvent], rules: WillRules) -> Replay {
        let planned = rules.planned[device]
        var replay = Replay()
        var online = false
        /// The open case belongs to the current connection (a later `disconnected` is the same ending).
        var caseOpenForConnection = false
        for event in events {
            switch event.kind {
            case .connected:
                online = true
                caseOpenForConnection = false
                if let last = replay.cases.indices.last, replay.cases[last].reconnectedAt == nil {
                    replay.cases[last].reconnectedAt = event.at
                }
            case .faultInjected(let fault, _, let lastPacketAt, let keepAlive, let willDelay, let expectWill,
                                let sessionExpiry, _):
                // A fault aimed at a device that is not connected ends nothing.
                guard let ending = endingKind(of: fault), online else { continue }
                if ending != .takeover { online = false }
                replay.cases.append(EndingCase(
                    ending: ending,
                    injectedAt: event.at,
                    endedAt: lastPacketAt ?? event.at,
                    keepAlive: keepAlive ?? planned?.keepAliveSeconds,
                    willDelaySeconds: willDelay ?? planned?.delaySeconds ?? 0,
                    sessionExpirySeconds: sessionExpiry ?? planned?.sessionExpirySeconds,
                    expectWill: ending == .graceful ? false : (expectWill ?? planned?.hasWill ?? false),
                    rules: rules
                ))
                caseOpenForConnection = true
            case .disconnected(let cause, _):
                if caseOpenForConnection, let last = replay.cases.indices.last {
                    // The ending already has its case; a takeover ends when the broker closes us.
                    if replay.cases[last].ending == .takeover, cause == .takenOver,
                       replay.cases[last].endedAt == replay.cases[last].injectedAt {
                        replay.cases[last].endedAt = max(replay.cases[last].endedAt, event.at)
                    }
                } else if online {
                    // No fault announced it: the run's own `stop` (graceful or abrupt), or an impostor
                    // already running that kicks the device off again. Endings whose moment is the
                    // event itself are judged with the plan's will facts; anything else is unplanned.
                    let ending: EndingKind = switch cause {
                    case .graceful: .graceful
                    case .gracefulWithWill: .gracefulWithWill
                    case .abrupt: .abrupt
                    case .takenOver: .takeover
                    case .silent, .serverDisconnect, .keepAliveTimeout, .networkError, .refused: .unplanned
                    }
                    let judged = ending != .graceful && ending != .unplanned
                    replay.cases.append(EndingCase(
                        ending: ending,
                        injectedAt: event.at,
                        endedAt: event.at,
                        keepAlive: planned?.keepAliveSeconds,
                        willDelaySeconds: judged ? planned?.delaySeconds ?? 0 : 0,
                        sessionExpirySeconds: planned?.sessionExpirySeconds,
                        expectWill: judged ? planned?.hasWill ?? false : false,
                        rules: rules
                    ))
                }
                online = false
                caseOpenForConnection = false
            case .willReceived(_, _, let retained, _):
                guard !retained else { continue }
                if let last = replay.cases.indices.last {
                    replay.cases[last].wills.append(event.at)
                } else {
                    replay.orphanWills.append(event.at)
                }
            default:
                continue
            }
        }
        return replay
    }

    static func endingKind(of fault: FaultKind) -> EndingKind? {
        switch fault {
        case .abrupt: .abrupt
        case .silent: .silent
        case .graceful: .graceful
        case .gracefulWithWill: .gracefulWithWill
        case .impostorStarted: .takeover
        case .throttled, .unthrottled, .certFault, .sasFault, .burst, .publish, .cloudMessage: nil
        }
    }

    private static func judgeDevice(
        _ device: String, _ events: [RunEvent], rules: WillRules, runEnd: UInt64
    ) -> [WillVerdict] {
        let replay = replay(device, events, rules: rules)
        var verdicts = replay.orphanWills.map { at in
            WillVerdict(
                device: device, ending: nil, judgement: .unexpected, injectedAt: nil, endedAt: nil,
                deadline: nil, latencyNs: nil, wills: 1,
                reason: "will at \(Self.seconds(at)) while the device was connected and no ending preceded it"
            )
        }
        for ending in replay.cases {
            verdicts.append(judge(ending, device: device, runEnd: runEnd))
        }
        return verdicts
    }

    private static func judge(_ ending: EndingCase, device: String, runEnd: UInt64) -> WillVerdict {
        var verdict = WillVerdict(
            device: device, ending: ending.ending, judgement: .absent, injectedAt: ending.injectedAt,
            endedAt: ending.endedAt, deadline: ending.deadline,
            latencyNs: ending.wills.first.map { $0 >= ending.endedAt ? $0 - ending.endedAt : 0 },
            wills: ending.wills.count, reason: ""
        )
        let due = ending.expectWill && !ending.cancelledByReconnect && ending.ending != .unplanned
        guard let first = ending.wills.first else {
            if due {
                verdict.judgement = runEnd < ending.deadline ? .undecided : .missing
                verdict.reason = verdict.judgement == .missing
                    ? "no will by the deadline \(seconds(ending.deadline))"
                    : "the run ended at \(seconds(runEnd)) before the deadline \(seconds(ending.deadline))"
            } else {
                verdict.judgement = .absent
                verdict.reason = whyNone(ending)
            }
            return verdict
        }
        if ending.ending == .unplanned {
            // Not injected, so not judged strictly; only a repeated will is a fault.
            verdict.judgement = ending.wills.count > 1 ? .duplicated : .delivered
            verdict.reason = ending.wills.count > 1
                ? "\(ending.wills.count) wills after a disconnect that was not injected"
                : "will after a disconnect that was not injected"
            return verdict
        }
        if !due {
            verdict.judgement = .unexpected
            verdict.reason = "will at \(seconds(first)) although \(whyNone(ending))"
            return verdict
        }
        if ending.wills.count > 1 && ending.ending != .takeover {
            verdict.judgement = .duplicated
            verdict.reason = "\(ending.wills.count) wills for one \(Wording.ending(ending.ending)) ending"
        } else if first < ending.earliest {
            verdict.judgement = .early
            verdict.reason = "will at \(seconds(first)) before its \(ending.delayName) ended at \(seconds(ending.earliest))"
        } else if first > ending.deadline {
            verdict.judgement = .late
            verdict.reason = "will at \(seconds(first)) after the deadline \(seconds(ending.deadline))"
        } else {
            verdict.judgement = .delivered
            verdict.reason = first >= ending.endedAt
                ? "will \(milliseconds(first - ending.endedAt)) after the \(Wording.ending(ending.ending)) ending"
                : "will \(milliseconds(first - ending.injectedAt)) after the impostor started, "
                    + "\(milliseconds(ending.endedAt - first)) before the device saw its connection close"
        }
        if ending.ending == .takeover && ending.wills.count > 1 {
            // The impostor shares the will topic and payload: when the device comes back and
            // kicks it off, the impostor's will is published too and cannot be told apart.
            verdict.reason += "; \(Wording.count(ending.wills.count - 1, "more will")), the impostor's own when it was kicked off in turn"
        }
        return verdict
    }

    private static func whyNone(_ ending: EndingCase) -> String {
        if ending.ending == .graceful { return "the device disconnected gracefully (DISCONNECT 0x00)" }
        if ending.ending == .unplanned { return "the disconnect was not injected" }
        if ending.cancelledByReconnect, let back = ending.reconnectedAt {
            return "the device reconnected at \(seconds(back)) within its \(ending.delayName)"
        }
        return "the device had no will for this ending"
    }

    static func seconds(_ ns: UInt64) -> String {
        let millis = ns / 1_000_000
        return "\(millis / 1000).\(String(millis % 1000).leftPadded(to: 3))s"
    }

    static func milliseconds(_ ns: UInt64) -> String {
        let micro = ns / 1_000
        return "\(micro / 1000).\(String(micro % 1000).leftPadded(to: 3)) ms"
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
