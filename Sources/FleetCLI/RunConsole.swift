import Fleet
import Foundation
import Ledger
import Scenario
import Verification

/// The text `fleet run` prints before and after a run.
enum RunConsole {
    static func preflight(_ plan: Plan, _ preflight: RunPreflight, devices: [DevicePlan]) -> String {
        let files = preflight.processes > 1
            ? "\(preflight.processes) device processes, open files up to \(preflight.filesPerProcess) of \(preflight.budget.softLimit) per process"
            : "open files \(preflight.filesPerProcess) of \(preflight.budget.softLimit)"
        var lines = [
            "scenario \(plan.name) (seed \(plan.seed)) → " + (plan.broker.lab.map {
                "the embedded lab broker, profile \($0), on a free loopback port"
            } ?? plan.broker.url),
            "  devices \(preflight.devices), impostors \(preflight.impostors), observers \(preflight.observers); " + files,
            "  source addresses: " + (preflight.sources.addresses.isEmpty ? "kernel's choice" : preflight.sources.addresses.joined(separator: ", ")),
            "  timeline (\(Wording.count(plan.timeline.count, "step")), \(plan.duration)):",
        ]
        let selector = DeviceSelector(devices: devices, seed: plan.seed)
        for step in plan.timeline {
            let target = RunPreflight.target(of: step.action)
            let selected = target.map {
                " → " + SelectionSummary.describe(selector.selectDevices($0, step: step.index).map(\.clientID))
            } ?? ""
            lines.append("    \(step.at)  \(step.action.keyword)\(selected)  (line \(step.location.line))")
        }
        return lines.joined(separator: "\n")
    }

    static func defaultLedgerPath(_ plan: Plan) -> String {
        let stamp = Int(Date().timeIntervalSince1970)
        let safeName = plan.name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        return "runs/\(String(safeName))-\(stamp).jsonl"
    }

    /// The ledger path without `.jsonl`: reports and the lab broker's files sit beside it.
    static func reportBase(ledgerPath path: String) -> String {
        path.hasSuffix(".jsonl") ? String(path.dropLast(".jsonl".count)) : path
    }

    static func summary(
        plan: Plan, counters: FleetCounters, counts: [DeviceTelemetryCount], live: RunLiveView.Figures,
        clock: RunClock, reason: RunEndReason, ledgerPath: String
    ) -> String {
        let elapsed = Double(clock.now()) / 1e9
        let sent = counts.reduce(0) { $0 + $1.sent }
        let acked = counts.reduce(0) { $0 + $1.acked }
        let publishingSeconds = live.firstMessageAtNs.map { elapsed - Double($0) / 1e9 } ?? 0
        var lines = ["run \(reason.rawValue) after \(String(format: "%.1f", elapsed)) s"]
        if let allConnected = live.allConnectedAtNs {
            lines.append("  all \(Wording.count(counts.count, "device")) connected at " + String(format: "%.2f s", Double(allConnected) / 1e9))
        } else {
            lines.append("  never all \(Wording.count(counts.count, "device")) connected at once")
        }
        lines.append("  telemetry sent \(sent), acknowledged \(acked)"
            + (publishingSeconds > 0 ? String(format: ", %.0f msgs/s average, %.0f peak", Double(sent) / publishingSeconds,
                                              live.peakMessagesPerSecond) : ""))
        lines.append("  faults injected on devices \(counters.faults)")
        if counters.traffic > 0 { lines.append("  traffic injected \(counters.traffic) (bursts, controller publishes, IoT Hub operator requests)") }
        lines.append("  events: \(ledgerPath)")
        return lines.joined(separator: "\n")
    }
}
