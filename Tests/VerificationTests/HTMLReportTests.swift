import Foundation
import Ledger
@testable import Reports
import Verification
import XCTest

/// Reports whose charts are crowded: every fault kind with a long name, steps a moment apart.
enum CrowdedRun {
    static func report() -> RunReport {
        var report = SyntheticRun.report()
        let kinds: [FaultKind] = [.impostorStarted, .gracefulWithWill, .certFault, .sasFault, .cloudMessage, .throttled]
        for (index, kind) in kinds.enumerated() {
            report.faults.append(FaultMark(at: Fixtures.s(2 + Double(index) * 0.3), fault: kind.rawValue, devices: index + 1))
        }
        for (index, action) in ["disconnect", "throttle", "impostor", "wait", "reconnect", "certificate-fault"].enumerated() {
            report.steps.append(StepMark(at: Fixtures.s(8 + Double(index) * 0.2), index: 3 + index, action: action, line: 13 + index))
        }
        report.steps.sort { $0.at < $1.at }
        return report
    }
}

/// The HTML report's charts as a reader sees them: what is drawn, what is written, and that it fits.
final class HTMLReportTests: XCTestCase {
    private func svg(_ id: String, in html: String) throws -> String {
        let start = try XCTUnwrap(html.range(of: "<svg class=\"plot\" id=\"\(id)\""), "no plot \(id)")
        let end = try XCTUnwrap(html.range(of: "</svg>", range: start.upperBound..<html.endIndex))
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// `(x, y, text)` of every `<text>` whose class list contains `textClass`, in document order.
    private func texts(_ textClass: String, in svg: String) -> [(x: Double, y: Double, text: String, anchor: String?)] {
        let pattern = #"<text x="([-\d.]+)" y="([-\d.]+)"((?: [a-z-]+="[^"]*")*)>([^<]*)"#
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).compactMap { match in
            let part = { (index: Int) in String(svg[Range(match.range(at: index), in: svg)!]) }
            let attributes = part(3)
            guard attributes.contains("class=\"") && attributes.range(of: #"class="[^"]*\b\#(textClass)\b"#, options: .regularExpression) != nil
            else { return nil }
            let anchor = attributes.range(of: #"text-anchor="[a-z]+""#, options: .regularExpression).map {
                String(attributes[$0].dropFirst(13).dropLast())
            }
            return (Double(part(1))!, Double(part(2))!, part(4), anchor)
        }
    }

    func testARunWithoutWillsHasNoWillChartAndSaysSo() throws {
        let plan = Fixtures.plan([Fixtures.group(count: 2, will: false, birth: false)])
        let events = [
            Fixtures.connected(Fixtures.s(0.1), "dev-01"), Fixtures.connected(Fixtures.s(0.2), "dev-02"),
            Fixtures.end(Fixtures.s(3)),
        ]
        let report = RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: events, observers: ObserverTotals(trackers: [])))
        let html = HTMLReport.render(report)
        XCTAssertFalse(html.contains("id=\"wills\""), "a will chart with nothing in it")
        XCTAssertTrue(html.contains("<p>No wills in this run: no ending called for one and none arrived.</p>"))
        let section = try XCTUnwrap(html.components(separatedBy: "<h2>Last wills</h2>").last?.components(separatedBy: "<h2>").first)
        XCTAssertFalse(section.contains("<table"), "an empty will table: \(section)")

        XCTAssertTrue(HTMLReport.render(SyntheticRun.report()).contains("<svg class=\"plot\" id=\"wills\""),
                      "a run with a will keeps its chart")
    }

    func testPublishedEqualToDeliveredStaysVisible() throws {
        var report = SyntheticRun.report()
        report.series.published = report.series.delivered
        let messages = try svg("messages", in: HTMLReport.render(report))
        let lines = messages.components(separatedBy: "<polyline").dropFirst()
        XCTAssertEqual(lines.count, 2)
        // Delivered first and wide, published over it and dashed: both show where they coincide.
        XCTAssertTrue(lines.first!.contains("<title>delivered (in)</title>") && lines.first!.contains("stroke-width=\"3.0\""),
                      String(lines.first!))
        XCTAssertTrue(lines.last!.contains("stroke-dasharray") && lines.last!.contains("published (out) = delivered"),
                      String(lines.last!))
        XCTAssertTrue(texts("tick", in: messages).contains { $0.text == "published (out) = delivered" }, "legend says they are equal")

        report.series.published[0] += 1
        let differing = try svg("messages", in: HTMLReport.render(report))
        XCTAssertFalse(differing.contains("= delivered"))
        XCTAssertTrue(differing.contains("<title>published (out)</title>"))
    }

    func testNoLabelRunsOutOfItsGutter() throws {
        let html = HTMLReport.render(CrowdedRun.report())
        let lanes = texts("lane", in: try svg("faults", in: html))
        XCTAssertEqual(lanes.map(\.text), ["steps", "abrupt", "impostor", "graceful with will", "certificate fault",
                                           "SAS token fault", "IoT Hub message", "throttled"])
        for id in HTMLReport.plotIDs {
            for label in texts("tick", in: try svg(id, in: html)) where label.anchor == "end" {
                let start = label.x - SVGChart.textWidth(label.text)
                XCTAssertGreaterThanOrEqual(start, id == "faults" ? 4 : 20, "\(id): '\(label.text)' starts at \(start)")
            }
        }
        for key in ["impostorStarted", "gracefulWithWill", "certFault", "sasFault", "cloudMessage"] {
            XCTAssertFalse(html.contains(key), "internal name \(key) reaches the reader")
        }
    }

    func testStepsAndFaultMarkersAreWrittenWithoutOverlapping() throws {
        let report = CrowdedRun.report()
        let html = HTMLReport.render(report)
        // Crowded marks give way (their hover title stays); those with room are written.
        let required = [("faults", ["ramp", "disconnect", "stop"]), ("connected", ["abrupt ×2", "impostor ×1", "certificate fault ×3"])]
        for (id, names) in required {
            let labels = texts("mark", in: try svg(id, in: html))
            XCTAssertTrue(Set(names).isSubset(of: labels.map(\.text)), "\(id): \(labels.map(\.text)) lacks some of \(names)")
            XCTAssertGreaterThan(labels.count, names.count, "\(id): a second row takes one of the crowded marks")
            for (index, a) in labels.enumerated() {
                for b in labels[(index + 1)...] where a.y == b.y {
                    let apart = a.x < b.x ? b.x - (a.x + SVGChart.textWidth(a.text)) : a.x - (b.x + SVGChart.textWidth(b.text))
                    XCTAssertGreaterThan(apart, 0, "\(id): '\(a.text)' and '\(b.text)' overlap")
                }
            }
        }
        let faults = try svg("faults", in: html)
        XCTAssertTrue(faults.contains("<title>step 1: disconnect (line 11) at 5.00 s</title>"), faults)
    }

    func testStaggerPutsEachLabelInTheFirstFreeRow() {
        let rows = SVGChart.stagger([(x: 0, width: 50), (x: 30, width: 50), (x: 60, width: 10), (x: 70, width: 50), (x: 200, width: 5)],
                                    rows: 2)
        XCTAssertEqual(rows, [0, 1, 0, nil, 0])
    }
}
