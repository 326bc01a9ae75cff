import Verification

/// The end-of-run summary printed on the terminal: connections, telemetry, wills,
/// retained status, latency percentiles, every error kind and every expectation.
public enum TerminalSummary {
    public static func render(_ report: RunReport, style: TerminalStyle = .plain) -> String {
        var lines: [String] = []
        let scenario = report.scenario
        lines.append(style.bold("fleet run \"\(scenario.name)\"") + " — seed \(scenario.seed), \(Wording.count(scenario.devices, "device")), "
            + "\(Format.duration(report.durationNs))" + (report.endReason.map { ", \($0)" } ?? ""))

        let connections = report.connections
        lines.append("")
        lines.append(style.bold("Connections"))
        var table = TextTable()
        table.add(["attempts", String(connections.attempts)])
        table.add(["connected", String(connections.connects)])
        table.add(["devices ever connected", "\(connections.devicesEverConnected) of \(scenario.devices)"])
        table.add(["connected at end", String(connections.connectedAtEnd)])
        for (stage, count) in connections.failuresByStage.sorted(by: { $0.key < $1.key }) {
            table.add(["failed at \(stage)", String(count)])
        }
        if connections.subscribeRefused > 0 { table.add(["subscriptions refused", String(connections.subscribeRefused)]) }
        for (cause, count) in connections.disconnectsByCause.sorted(by: { $0.key < $1.key }) {
            table.add(["disconnects: \(Wording.cause(key: cause))", String(count)])
        }
        lines += table.render()
        if !connections.failuresByReason.isEmpty {
            lines.append("  errors:")
            for (reason, count) in connections.failuresByReason.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                lines.append("    \(count) × \(reason)")
            }
        }

        let telemetry = report.telemetry.total
        lines.append("")
        lines.append(style.bold("Telemetry") + " (\(Wording.count(report.telemetry.devices, "device")), counted per device by sequence)")
        table = telemetryTable(telemetry)
        if report.telemetry.unreadable > 0 { table.add(["no sequence in payload", String(report.telemetry.unreadable)]) }
        lines += table.render()
        lines += unknownTopicLines(report.telemetry)
        lines += sessionLines(report.sessions)
        if let errors = report.deviceErrors {
            lines.append("")
            lines += deviceErrorLines(errors, style: style)
        }
        if let credentials = report.credentials {
            lines.append("")
            lines += credentialLines(credentials, style: style)
        }

        lines.append("")
        lines.append(style.bold("Last wills") + " (\(Wording.count(report.wills.verdicts.count, "ending")) judged)")
        lines += report.wills.counts.isEmpty ? ["  none"] : judgementTable(report.wills.counts).render()
        lines.append("  retained status: \(Wording.count(report.retainedStatus.checked, "device")) compared, "
            + "\(report.retainedStatus.failed) mismatched")

        if let cloud = report.cloud {
            lines.append("")
            lines += cloudLines(cloud, style: style)
        }
        if let twin = report.twin {
            lines.append("")
            lines += twinLines(twin, style: style)
        }

        lines.append("")
        lines += latencyLines(report.latency, style: style)

        lines.append("")
        lines += expectationLines(report.expectations, style: style)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Each expectation as the scenario states it, defaults marked `(default)`; those the run gave nothing to
    /// judge are `not exercised` rather than passed, and the defaults among them share one line.
    static func expectationLines(_ results: [ExpectationResult], style: TerminalStyle) -> [String] {
        var lines = [style.bold("Expectations")]
        if results.isEmpty {
            lines.append("  none stated (add `expect:` to the scenario to turn numbers into pass/fail)")
        }
        for result in results where result.exercised || !result.isDefault {
            let expected = "expected " + Wording.expected(result)
            guard result.exercised else {
                lines.append("  \(style.dim("----")) \(result.name): \(expected), not exercised: \(result.actual)")
                continue
            }
            let mark = result.passed ? style.pass("PASS") : style.fail("FAIL")
            lines.append("  \(mark) \(result.name): \(expected), got \(result.actual)")
            if !result.passed { lines.append("       " + result.failure) }
        }
        let idleDefaults = results.filter { !$0.exercised && $0.isDefault }
        if !idleDefaults.isEmpty {
            lines.append("  \(style.dim("----")) not exercised (defaults): "
                + idleDefaults.map { "\($0.name) \($0.expected)" }.joined(separator: ", "))
        }
        let passed = results.allSatisfy(\.passed)
        lines.append("")
        lines.append((passed ? style.pass("RESULT: PASSED") : style.fail("RESULT: FAILED")) + " (\(Wording.tally(results)))")
        return lines
    }

    /// Messages the observers heard on topics no device of this run owns, told apart: retained ones were left
    /// there before the run (earlier runs' statuses), live ones come from other clients.
    static func unknownTopicLines(_ telemetry: TelemetrySection) -> [String] {
        var lines: [String] = []
        let retained = min(telemetry.unknownTopicRetained, telemetry.unknownTopic)
        let live = telemetry.unknownTopic - retained
        if retained > 0 {
            lines.append("  \(Wording.count(retained, "retained message")) on observed topics no device of this run owns "
                + "(left by earlier runs, e.g. statuses of devices this run does not have), ignored")
        }
        if live > 0 {
            lines.append("  \(Wording.count(live, "message")) on observed topics no device of this run owns "
                + "(another client publishing there), ignored")
        }
        return lines
    }

    /// Will verdicts by judgement, in the judgements' order, in words.
    private static func judgementTable(_ counts: [String: Int]) -> TextTable {
        var table = TextTable()
        for judgement in WillJudgement.allCases {
            if let count = counts[judgement.rawValue] { table.add([Wording.judgement(judgement), String(count)]) }
        }
        return table
    }

    /// Several runs' reports combined (`fleet report merge`): summed counts, exactly merged latencies.
    public static func render(_ merged: MergedReport, style: TerminalStyle = .plain) -> String {
        var lines = [style.bold("fleet report merge") + " — \(merged.runs.count) runs: " + merged.runs.joined(separator: ", ")]
        lines.append("")
        lines.append(style.bold("Telemetry"))
        lines += telemetryTable(merged.telemetry).render()
        lines += sessionLines(merged.sessions)
        if let errors = merged.deviceErrors {
            lines.append("")
            lines += deviceErrorLines(errors, style: style)
        }
        lines.append("")
        lines.append(style.bold("Last wills"))
        lines += merged.wills.isEmpty ? ["  none"] : judgementTable(merged.wills).render()
        lines.append("")
        lines += latencyLines(merged.latency, style: style)
        lines.append("")
        lines.append(merged.expectationsFailed == 0
            ? style.pass("RESULT: PASSED") + " (\(merged.expectationsTotal) expectations over all runs)"
            : style.fail("RESULT: FAILED") + " (\(merged.expectationsFailed) of \(merged.expectationsTotal) expectations failed)")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func telemetryTable(_ telemetry: TelemetryCounts) -> TextTable {
        var table = TextTable()
        table.add(["sent (devices' count)", telemetry.sent.map(String.init) ?? "unknown"])
        table.add(["received", String(telemetry.delivered)])
        table.add(["unique", String(telemetry.unique)])
        table.add(["lost", String(telemetry.lost)])
        table.add(["duplicated", String(telemetry.duplicates)])
        table.add(["out of order", String(telemetry.outOfOrder)])
        table.add(["sequence restarts", String(telemetry.restarts)])
        return table
    }

    /// What reconnects carried, only where non-zero: resent QoS 1 telemetry is also counted as duplicated.
    private static func sessionLines(_ sessions: SessionSection?) -> [String] {
        guard let sessions else { return [] }
        var lines: [String] = []
        if sessions.resent.total > 0 {
            lines.append("  resent after resume \(sessions.resent.total) (duplicates above include them at QoS 1)")
        }
        if sessions.abandoned.total > 0 {
            lines.append("  abandoned (session not resumed) \(sessions.abandoned.total)" + examples(sessions.abandoned))
        }
        return lines
    }

    /// Refused CONNECTs with each listed device's latest reason, and SAS token renewals.
    static func credentialLines(_ credentials: CredentialSection, style: TerminalStyle) -> [String] {
        var lines = [style.bold("Credentials")]
        if credentials.renewals.total > 0 {
            lines.append("  SAS token renewals \(credentials.renewals.total)" + examples(credentials.renewals))
        }
        if credentials.refusedConnects.total > 0 {
            lines.append("  CONNECTs refused \(credentials.refusedConnects.total) on \(Wording.count(credentials.refusedConnects.devices, "device"))")
            for entry in credentials.refusedConnects.top.prefix(5) {
                lines.append("    \(entry.device): \(entry.count) × \(credentials.reasons[entry.device] ?? "refused")")
            }
        }
        return lines
    }

    /// Refused publishes and oversized packets, each with what the device's library did about it.
    static func deviceErrorLines(_ errors: DeviceErrorSection, style: TerminalStyle) -> [String] {
        var lines = [style.bold("Device-side errors") + " (counted once per connection)"]
        let refusals = errors.refusals
        if refusals.connections.total > 0 {
            lines.append("  publishes refused by the device's client on \(Wording.count(refusals.connections.total, "connection"))"
                + examples(refusals.connections))
            for (reason, count) in refusals.reasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                lines.append("    \(count) × \(reason)")
            }
        }
        let oversized = errors.oversized
        if oversized.connections.total > 0 {
            lines.append("  packets over the device's buffer on \(Wording.count(oversized.connections.total, "connection")), largest "
                + "\(oversized.maxSize) bytes (limit \(oversized.limitOfMax))" + examples(oversized.connections))
            for (type, count) in oversized.dropped.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(count) × \(type) dropped by the library")
            }
            for (type, count) in oversized.cut.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(count) × \(type) delivered cut to the buffer")
            }
        }
        if let twin = errors.twinFailures {
            lines.append("  twin requests the hub failed: \(twin.requests.total)" + examples(twin.requests))
            for (status, count) in twin.statuses.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(count) × status \(status)")
            }
        }
        return lines
    }

    /// The devices' twin requests by operation: sent, answered, succeeded, and the answers by status.
    static func twinLines(_ twin: TwinSection, style: TerminalStyle) -> [String] {
        var table = TextTable()
        for (operation, counts) in twin.requests.sorted(by: { $0.key < $1.key }) {
            var cells = "\(counts.sent) sent, \(counts.answered) answered, \(counts.succeeded) succeeded"
            if counts.unanswered > 0 { cells += ", \(counts.unanswered) unanswered" }
            let statuses: [String] = counts.statuses.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
            if !statuses.isEmpty { cells += " (" + statuses.joined(separator: ", ") + ")" }
            table.add([operation == "get" ? "twin GET" : "reported PATCH", cells])
        }
        if let slowest = twin.slowestAnswerNs { table.add(["slowest answer", Format.duration(slowest)]) }
        return [style.bold("Device twin") + " (twin requests)"] + table.render()
    }

    /// `, e.g. dev-01 ×3, dev-02 ×1` — the first few devices of a tally.
    private static func examples(_ tally: DeviceTally) -> String {
        let shown = tally.top.prefix(3).map { "\($0.device) ×\($0.count)" }
        guard !shown.isEmpty else { return "" }
        return ", e.g. " + shown.joined(separator: ", ") + (tally.devices > shown.count ? " (\(Wording.count(tally.devices, "device")))" : "")
    }

    private static func latencyLines(_ entries: [LatencyEntry], style: TerminalStyle) -> [String] {
        guard !entries.isEmpty else { return [style.bold("Latency"), "  no samples"] }
        var table = TextTable()
        table.add(["phase", "count", "p50", "p90", "p99", "p99.9", "max"])
        for entry in entries {
            let summary = entry.summary
            table.add([
                entry.phase.title, String(summary.count), Format.duration(summary.p50Ns), Format.duration(summary.p90Ns),
                Format.duration(summary.p99Ns), Format.duration(summary.p999Ns), Format.duration(summary.maxNs),
            ])
        }
        return [style.bold("Latency")] + table.render()
    }

    /// The IoT Hub operator's requests by kind, and how its direct method calls ended.
    static func cloudLines(_ cloud: CloudSection, style: TerminalStyle) -> [String] {
        let lines = [style.bold("IoT Hub operator") + " (iothub steps)"]
        var table = TextTable()
        for kind in CloudMessageKinds.ordered {
            guard let counts = cloud.messages[kind] else { continue }
            var cells = "\(counts.sent) sent, \(counts.delivered) delivered"
            if counts.notDelivered > 0 { cells += ", \(counts.notDelivered) not delivered" }
            if counts.refused > 0 { cells += ", \(counts.refused) refused" }
            table.add([kind, cells])
        }
        let methods = cloud.methods
        if methods.called > 0 {
            var cells = "\(methods.called) called, \(methods.answered) answered, \(methods.timedOut) timed out"
            if methods.malformed > 0 { cells += ", \(methods.malformed) malformed" }
            if methods.pending > 0 { cells += ", \(methods.pending) pending" }
            if let slowest = methods.slowestAnswerNs { cells += "; slowest answer \(Format.duration(slowest))" }
            table.add(["method calls", cells])
        }
        return lines + table.render()
    }
}

/// The request kinds in the order a report lists them.
private enum CloudMessageKinds {
    static let ordered = ["c2d", "desired", "method"]
}
