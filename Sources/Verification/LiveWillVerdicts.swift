import Foundation
import Ledger

/// Will verdicts while the run goes, for the live progress line and Prometheus.
///
/// Sits in front of the ledger: every event is passed on, and the few that decide wills
/// (connections, endings, faults, wills) are also kept per device. `counts(at:)` re-judges only
/// the devices with news since the last call, plus those whose verdict was still undecided (a
/// deadline may have passed), so a poll costs little even with tens of thousands of devices.
/// The judgements are those of ``WillVerdicts``, as if the run ended at that moment: an ending
/// whose deadline is ahead and whose will has not come yet is `undecided` (pending). Each will's delay,
/// from its ending to its arrival, is handed to `willLatency` once, when a poll first judges it.
public final class LiveWillVerdicts: RunEventSink, @unchecked Sendable {
    // @unchecked: everything mutable is guarded by `lock`.
    private let rules: WillRules
    private let ledger: any RunEventSink
    private let lock = NSLock()
    private var events: [String: [RunEvent]] = [:]
    private var changed: Set<String> = []
    private var undecided: Set<String> = []
    private var perDevice: [String: [WillJudgement: Int]] = [:]
    private var totals: [WillJudgement: Int] = [:]
    private let willLatency: (@Sendable (UInt64) -> Void)?
    /// How many of each device's will delays went to `willLatency` (a device's verdicts keep their order).
    private var latenciesGiven: [String: Int] = [:]

    public init(rules: WillRules, forwardingTo ledger: any RunEventSink, willLatency: (@Sendable (UInt64) -> Void)? = nil) {
        self.rules = rules
        self.ledger = ledger
        self.willLatency = willLatency
    }

    public func record(_ event: RunEvent) {
        ledger.record(event)
        guard let device = event.device, Self.decidesWills(event.kind) else { return }
        lock.withLock {
            events[device, default: []].append(event)
            changed.insert(device)
        }
    }

    /// Verdicts so far by judgement, as of `now` on the run clock; judgements without a case are left out.
    public func counts(at now: UInt64) -> [WillJudgement: Int] {
        lock.withLock {
            for device in changed.union(undecided) {
                for (judgement, count) in perDevice[device] ?? [:] { totals[judgement, default: 0] -= count }
                var counts: [WillJudgement: Int] = [:]
                let verdicts = WillVerdicts.judge(device: device, events: events[device] ?? [], rules: rules, now: now)
                for verdict in verdicts { counts[verdict.judgement, default: 0] += 1 }
                if let willLatency {
                    let latencies = verdicts.compactMap(\.latencyNs)
                    latencies.dropFirst(latenciesGiven[device] ?? 0).forEach(willLatency)
                    latenciesGiven[device] = max(latenciesGiven[device] ?? 0, latencies.count)
                }
                for (judgement, count) in counts { totals[judgement, default: 0] += count }
                perDevice[device] = counts
                if counts[.undecided] != nil { undecided.insert(device) } else { undecided.remove(device) }
            }
            changed.removeAll(keepingCapacity: true)
            return totals.filter { $0.value > 0 }
        }
    }

    private static func decidesWills(_ kind: RunEventKind) -> Bool {
        switch kind {
        case .connected, .disconnected, .faultInjected, .willReceived: true
        default: false
        }
    }
}
