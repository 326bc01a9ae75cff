import Verification

/// A single self-contained HTML file: inline CSS and SVG plots, no script and no
/// network, so it can be archived with CI artifacts and opened anywhere.
///
/// Plots: connected devices over time (with injected faults marked), messages per
/// second out and in, latency percentiles per phase, will-delivery latency per
/// ending (only when a run had wills; else one line says there were none), and the timeline of
/// steps and injected faults. Every plot is an `<svg class="plot" id="…">`. Names are ``Wording``'s.
public enum HTMLReport {
    /// The ids of the plots, in page order (checked by the rendering test); `wills` only when there is one to draw.
    public static let plotIDs = ["connected", "messages", "latency", "wills", "faults"]

    public static func render(_ report: RunReport) -> String {
        let seconds = Double(report.durationNs) / 1_000_000_000
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>fleet — \(MarkupText.escaped(report.scenario.name))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 920px; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
        td:first-child, th:first-child { text-align: left; }
        .pass { color: #17803d; font-weight: 600; } .fail { color: #c62828; font-weight: 600; } .idle { color: #757575; }
        .why { color: #555; font-size: 13px; text-align: left; }
        svg .title { font-size: 13px; font-weight: 600; } svg .tick { font-size: 11px; fill: #555; } svg .axis { font-size: 11px; fill: #333; }
        </style></head><body>
        <h1>fleet run “\(MarkupText.escaped(report.scenario.name))”</h1>
        <p>Seed \(report.scenario.seed) · \(report.scenario.devices) devices · \(MarkupText.escaped(Format.duration(report.durationNs)))\
        \(report.endReason.map { " · " + MarkupText.escaped($0) } ?? "") · schema \(MarkupText.escaped(report.schema))</p>

        """
        html += verdictBanner(report)
        html += expectationsTable(report)
        html += "<h2>Connections</h2>\n" + connectedPlot(report, seconds: seconds) + connectionsTable(report)
        html += "<h2>Messages</h2>\n" + messagesPlot(report, seconds: seconds) + telemetryTable(report)
        if let sessions = report.sessions { html += sessionsTable(sessions) }
        if let errors = report.deviceErrors { html += "<h2>Device-side errors</h2>\n" + deviceErrorsTable(errors) }
        html += "<h2>Latency</h2>\n" + latencyPlot(report) + latencyTable(report)
        html += "<h2>Last wills</h2>\n" + (willsPlot(report, seconds: seconds) ?? noWills(report)) + willsTable(report)
        html += "<h2>Injected faults</h2>\n" + faultsPlot(report, seconds: seconds)
        html += "</body></html>\n"
        return html
    }

    private static func verdictBanner(_ report: RunReport) -> String {
        let tally = MarkupText.escaped(Wording.tally(report.expectations))
        return report.expectations.allSatisfy(\.passed)
            ? "<p class=\"pass\">PASSED — \(tally)</p>\n"
            : "<p class=\"fail\">FAILED — \(tally)</p>\n"
    }

    private static func expectationsTable(_ report: RunReport) -> String {
        guard !report.expectations.isEmpty else { return "<p>No expectations stated.</p>\n" }
        var out = "<h2>Expectations</h2>\n<table><tr><th>expectation</th><th>expected</th><th>actual</th><th>result</th></tr>\n"
        for result in report.expectations {
            out += "<tr><td>\(MarkupText.escaped(result.name))</td><td>\(MarkupText.escaped(Wording.expected(result)))</td><td>\(MarkupText.escaped(result.actual))</td>"
            out += "<td class=\"\(result.exercised ? result.passed ? "pass" : "fail" : "idle")\">\(Wording.outcome(result))</td></tr>\n"
            if !result.passed { out += "<tr><td class=\"why\" colspan=\"4\">\(MarkupText.escaped(result.failure))</td></tr>\n" }
        }
        return out + "</table>\n"
    }

    private static func connectedPlot(_ report: RunReport, seconds: Double) -> String {
        // A step line: the count holds from one second to the next.
        var points: [(x: Double, y: Double)] = []
        for (second, count) in report.series.connected.enumerated() {
            points.append((Double(second), Double(count)))
            points.append((Double(second + 1), Double(count)))
        }
        let markers = report.faults.map {
            SVGChart.Marker(x: Double($0.at) / 1e9, label: faultTitle($0), color: color(forFault: $0.fault),
                            short: "\(Wording.fault(key: $0.fault)) ×\($0.devices)")
        }
        let chart = SVGChart(id: "connected", title: "Connected devices", xLabel: "run time (s)", yLabel: "devices")
        return chart.lines([.init(name: "connected", color: "#1565c0", points: points)], markers: markers,
                           xMax: max(seconds, Double(report.series.connected.count)))
    }

    /// Delivered wide and solid, published thin and dashed on top: when every message arrived the two
    /// lines coincide, and the legend says so.
    private static func messagesPlot(_ report: RunReport, seconds: Double) -> String {
        let published = report.series.published, delivered = report.series.delivered
        var series: [SVGChart.Series] = [.init(name: "delivered (in)", color: "#2e7d32",
                                               points: delivered.enumerated().map { (Double($0.offset), Double($0.element)) }, width: 3)]
        if !published.isEmpty {
            let same = published.count == delivered.count && published == delivered
            series.insert(.init(name: same ? "published (out) = delivered" : "published (out)", color: "#ef6c00",
                                points: published.enumerated().map { (Double($0.offset), Double($0.element)) }, dashed: true), at: 0)
        }
        let chart = SVGChart(id: "messages", title: "Telemetry messages per second", xLabel: "run time (s)", yLabel: "msgs/s")
        return chart.lines(series, xMax: seconds)
    }

    private static func latencyPlot(_ report: RunReport) -> String {
        var chart = SVGChart(id: "latency", title: "Latency percentiles per phase (log scale)", xLabel: "", yLabel: "latency")
        chart.logY = true
        chart.yFormat = { Format.duration(UInt64($0)) }
        let entries = report.latency
        let pick: [(String, String, KeyPath<LatencySummary, UInt64>)] = [
            ("p50", "#90caf9", \.p50Ns), ("p90", "#42a5f5", \.p90Ns), ("p99", "#1e88e5", \.p99Ns),
            ("p99.9", "#1565c0", \.p999Ns), ("max", "#0d2c6b", \.maxNs),
        ]
        return chart.bars(
            categories: entries.map(\.phase.title),
            series: pick.map { name, color, path in (name, color, entries.map { Double($0.summary[keyPath: path]) }) }
        )
    }

    /// Nil when no will arrived and none went missing: nothing to draw.
    private static func willsPlot(_ report: RunReport, seconds: Double) -> String? {
        var byJudgement: [WillJudgement: [(x: Double, y: Double)]] = [:]
        for verdict in report.wills.verdicts {
            // A missing will is drawn at its deadline, so it stands out above the delivered ones.
            let shown = verdict.judgement == .missing ? verdict.deadline.flatMap { deadline in
                verdict.endedAt.map { deadline - min(deadline, $0) }
            } : verdict.latencyNs
            guard let ended = verdict.endedAt, let latency = shown else { continue }
            byJudgement[verdict.judgement, default: []].append((Double(ended) / 1e9, Double(latency) / 1e6))
        }
        guard !byJudgement.isEmpty else { return nil }
        let series = WillJudgement.allCases.compactMap { judgement -> SVGChart.Series? in
            guard let points = byJudgement[judgement] else { return nil }
            return .init(name: Wording.judgement(judgement), color: color(forJudgement: judgement), points: points)
        }
        let chart = SVGChart(id: "wills", title: "Will delivery latency by ending time (missing: at the deadline)", xLabel: "ending at run time (s)",
                             yLabel: "latency (ms)")
        return chart.lines(series, dots: true, xMax: seconds)
    }

    /// One paragraph in place of the will chart.
    private static func noWills(_ report: RunReport) -> String {
        report.wills.verdicts.isEmpty
            ? "<p>No wills in this run: no ending called for one and none arrived.</p>\n"
            : "<p>No will arrived and none went missing, so there is no will chart.</p>\n"
    }

    /// Steps in the first lane, each written with its action; then one lane per fault kind.
    private static func faultsPlot(_ report: RunReport, seconds: Double) -> String {
        var kinds: [String] = []
        var marks: [String: [SVGChart.LaneMark]] = [:]
        for fault in report.faults {
            if marks[fault.fault] == nil { kinds.append(fault.fault) }
            marks[fault.fault, default: []].append(.init(x: Double(fault.at) / 1e9, size: fault.devices, title: faultTitle(fault)))
        }
        var lanes = kinds.map { SVGChart.Lane(label: Wording.fault(key: $0), color: color(forFault: $0), marks: marks[$0]!) }
        lanes.insert(SVGChart.Lane(label: "steps", color: "#555", marks: report.steps.map {
            .init(x: Double($0.at) / 1e9, size: 1, title: "step \($0.index): \($0.action) (line \($0.line)) at \(Format.duration($0.at))",
                  label: $0.action)
        }), at: 0)
        let chart = SVGChart(id: "faults", title: "Timeline of steps and injected faults", xLabel: "run time (s)", yLabel: "")
        return chart.lanes(lanes, xMax: seconds)
    }

    private static func faultTitle(_ fault: FaultMark) -> String {
        "\(Wording.fault(key: fault.fault)) on \(Wording.count(fault.devices, "device")) at \(Format.duration(fault.at))"
    }

    private static func connectionsTable(_ report: RunReport) -> String {
        let c = report.connections
        var rows: [(String, String)] = [
            ("attempts", "\(c.attempts)"), ("connected", "\(c.connects)"),
            ("devices ever connected", "\(c.devicesEverConnected)"), ("connected at end", "\(c.connectedAtEnd)"),
        ]
        rows += c.failuresByReason.sorted { $0.value > $1.value }.map { ("failed: " + $0.key, "\($0.value)") }
        rows += c.disconnectsByCause.sorted { $0.key < $1.key }.map { ("disconnects: " + Wording.cause(key: $0.key), "\($0.value)") }
        if c.subscribeRefused > 0 { rows.append(("subscriptions refused", "\(c.subscribeRefused)")) }
        return table(rows)
    }

    private static func telemetryTable(_ report: RunReport) -> String {
        let t = report.telemetry.total
        var out = table([
            ("sent (devices' count)", t.sent.map(String.init) ?? "unknown"), ("received", "\(t.delivered)"),
            ("unique", "\(t.unique)"), ("lost", "\(t.lost)"), ("duplicated", "\(t.duplicates)"),
            ("out of order", "\(t.outOfOrder)"), ("sequence restarts", "\(t.restarts)"),
        ])
        let worst = report.telemetry.irregular.prefix(10)
        if !worst.isEmpty {
            out += "<table><tr><th>device</th><th>lost</th><th>duplicated</th><th>out of order</th></tr>\n"
            for device in worst {
                out += "<tr><td>\(MarkupText.escaped(device.device))</td><td>\(device.counts.lost)</td><td>\(device.counts.duplicates)</td>"
                    + "<td>\(device.counts.outOfOrder)</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out
    }

    /// Resent and abandoned publishes of carried sessions, with the devices that had most.
    private static func sessionsTable(_ sessions: SessionSection) -> String {
        var out = table([
            ("reconnects carrying a session", "\(sessions.reconnects)"),
            ("resent after resume (counted as duplicated at QoS 1)", "\(sessions.resent.total)"),
            ("abandoned (session not resumed)", "\(sessions.abandoned.total)"),
        ])
        out += devicesTable([("resent", sessions.resent), ("abandoned", sessions.abandoned)])
        return out
    }

    /// Refused publishes by reason and oversized packets by what the library did, once per connection.
    private static func deviceErrorsTable(_ errors: DeviceErrorSection) -> String {
        var rows: [(String, String)] = []
        let refusals = errors.refusals
        if refusals.connections.total > 0 {
            rows.append(("connections with a publish refused", "\(refusals.connections.total)"))
            rows += refusals.reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ("refused: " + $0.key, "\($0.value)") }
        }
        let oversized = errors.oversized
        if oversized.connections.total > 0 {
            rows.append(("connections with a packet over the buffer", "\(oversized.connections.total)"))
            rows += oversized.dropped.sorted { $0.key < $1.key }.map { ("\($0.key) dropped", "\($0.value)") }
            rows += oversized.cut.sorted { $0.key < $1.key }.map { ("\($0.key) delivered cut to the buffer", "\($0.value)") }
            rows.append(("largest packet (limit \(oversized.limitOfMax))", "\(oversized.maxSize) bytes"))
        }
        return table(rows) + devicesTable([("publish refused", refusals.connections), ("over the buffer", oversized.connections)])
    }

    /// One row per listed device, one column per tally; nothing when no device is listed.
    private static func devicesTable(_ columns: [(title: String, tally: DeviceTally)]) -> String {
        var devices: [String] = []
        var counts: [String: [Int]] = [:]
        for (index, column) in columns.enumerated() {
            for entry in column.tally.top {
                if counts[entry.device] == nil {
                    devices.append(entry.device)
                    counts[entry.device] = Array(repeating: 0, count: columns.count)
                }
                counts[entry.device]![index] = entry.count
            }
        }
        guard !devices.isEmpty else { return "" }
        var out = "<table><tr><th>device</th>" + columns.map { "<th>\(MarkupText.escaped($0.title))</th>" }.joined() + "</tr>\n"
        for device in devices {
            out += "<tr><td>\(MarkupText.escaped(device))</td>" + counts[device]!.map { "<td>\($0)</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    private static func latencyTable(_ report: RunReport) -> String {
        var out = "<table><tr><th>phase</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n"
        for entry in report.latency {
            let s = entry.summary
            out += "<tr><td>\(MarkupText.escaped(entry.phase.title))</td><td>\(s.count)</td>"
            for value in [s.p50Ns, s.p90Ns, s.p99Ns, s.p999Ns, s.maxNs] { out += "<td>\(MarkupText.escaped(Format.duration(value)))</td>" }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// Nothing when there is nothing to count (no ending judged, no retained status compared).
    private static func willsTable(_ report: RunReport) -> String {
        var rows = WillJudgement.allCases.compactMap { judgement in
            report.wills.counts[judgement.rawValue].map { (Wording.judgement(judgement), "\($0)") }
        }
        guard !rows.isEmpty || report.retainedStatus.checked > 0 else { return "" }
        rows.append(("retained status compared", "\(report.retainedStatus.checked)"))
        rows.append(("retained status mismatched", "\(report.retainedStatus.failed)"))
        var out = table(rows)
        let bad = report.wills.verdicts.filter { [.missing, .late, .early, .unexpected, .duplicated].contains($0.judgement) }
        if !bad.isEmpty {
            out += "<table><tr><th>device</th><th>ending</th><th>verdict</th><th>why</th></tr>\n"
            for verdict in bad.prefix(20) {
                out += "<tr><td>\(MarkupText.escaped(verdict.device))</td><td>\(MarkupText.escaped(verdict.ending.map(Wording.ending) ?? "—"))</td>"
                    + "<td class=\"fail\">\(MarkupText.escaped(Wording.judgement(verdict.judgement)))</td><td class=\"why\">\(MarkupText.escaped(verdict.reason))</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out
    }

    private static func table(_ rows: [(String, String)]) -> String {
        "<table>" + rows.map { "<tr><td>\(MarkupText.escaped($0.0))</td><td>\(MarkupText.escaped($0.1))</td></tr>" }.joined() + "</table>\n"
    }

    private static func color(forFault fault: String) -> String {
        switch fault {
        case "abrupt": "#c62828"
        case "silent": "#6a1b9a"
        case "graceful": "#2e7d32"
        case "gracefulWithWill": "#00838f"
        case "impostorStarted": "#ef6c00"
        case "throttled", "unthrottled": "#795548"
        case "certFault", "sasFault": "#ad1457"
        default: "#546e7a"
        }
    }

    private static func color(forJudgement judgement: WillJudgement) -> String {
        switch judgement {
        case .delivered: "#2e7d32"
        case .late, .early: "#ef6c00"
        case .missing, .unexpected, .duplicated: "#c62828"
        case .absent, .undecided: "#9e9e9e"
        }
    }
}
