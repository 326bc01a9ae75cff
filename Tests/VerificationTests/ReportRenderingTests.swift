import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reports
import Verification
import XCTest

final class ReportRenderingTests: XCTestCase {
    func testTerminalSummaryIsPlainWithoutTTYAndNamesFailures() {
        let report = SyntheticRun.report()
        let plain = TerminalSummary.render(report, style: .plain)
        XCTAssertFalse(plain.contains("\u{1B}["))
        XCTAssertTrue(plain.contains("FAIL wills.abrupt: expected delivered, got 1 delivered, 1 missing"), plain)
        XCTAssertTrue(plain.contains("PASS latency.connack.p99"), plain)
        XCTAssertTrue(plain.contains("1 × tls: certificate expired"), plain)
        XCTAssertTrue(plain.contains("RESULT: FAILED (5 of 8 expectations failed, 3 not exercised)"), plain)
        XCTAssertTrue(plain.split(separator: "\n").contains { $0.contains("phase") && $0.contains("p99.9") })
        XCTAssertTrue(TerminalSummary.render(report, style: .ansi).contains("\u{1B}[31mFAIL\u{1B}[0m"))
    }

    /// Expectations read as the file states them: defaults marked, and nothing-to-judge shown as not exercised.
    func testTerminalSummaryMarksDefaultsAndUnexercisedExpectations() {
        let plain = TerminalSummary.render(SyntheticRun.report(), style: .plain)
        XCTAssertTrue(plain.contains("FAIL wills.abrupt: expected delivered, got 1 delivered, 1 missing"), plain)
        XCTAssertTrue(plain.contains("---- wills.graceful: expected none, not exercised: no graceful endings injected"), plain)
        XCTAssertTrue(plain.contains("---- not exercised (defaults): wills.silent delivered, wills.graceful-with-will delivered"), plain)
        XCTAssertTrue(plain.contains("PASS wills.unexplained: expected no will without an ending (default), got 0 unexplained"), plain)
        XCTAssertFalse(plain.contains("PASS wills.silent"), plain)
        XCTAssertTrue(plain.contains("seed 7, 3 devices,"), plain)
    }

    func testSummaryWordsAreThePlainOnes() {
        var report = SyntheticRun.report()
        report.scenario.devices = 1
        report.connections.disconnectsByCause = ["gracefulWithWill": 2, "takenOver": 1]
        report.telemetry.unknownTopic = 590
        report.telemetry.unknownTopicRetained = 582
        let plain = TerminalSummary.render(report, style: .plain)
        XCTAssertTrue(plain.contains("seed 7, 1 device,"), plain)
        XCTAssertTrue(plain.contains("disconnects: graceful with will"), plain)
        XCTAssertTrue(plain.contains("disconnects: taken over"), plain)
        XCTAssertFalse(plain.contains("gracefulWithWill") || plain.contains("takenOver"), plain)
        XCTAssertTrue(plain.contains("582 retained messages on observed topics no device of this run owns (left by earlier runs"), plain)
        XCTAssertTrue(plain.contains("8 messages on observed topics no device of this run owns (another client"), plain)
        XCTAssertFalse(plain.contains("unknown topic"), plain)
    }

    func testJSONRoundTripsAndRefusesOtherSchemas() throws {
        let report = SyntheticRun.report()
        let data = try JSONReport.encode(report)
        XCTAssertEqual(try JSONReport.decode(data), report)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains(#""schema" : "fleet-run-report/1""#), String(text.prefix(300)))
        let other = text.replacingOccurrences(of: "fleet-run-report/1", with: "fleet-run-report/99")
        XCTAssertThrowsError(try JSONReport.decode(Data(other.utf8))) { error in
            XCTAssertEqual(error as? ReportError, .unknownSchema("fleet-run-report/99"))
        }
    }

    /// Reports written before the stated/default and retained-unknown fields still read (`fleet report merge`).
    func testOlderReportsWithoutTheNewFieldsDecode() throws {
        let result = try JSONDecoder().decode(ExpectationResult.self, from: Data(
            #"{"name":"wills.abrupt","expected":"delivered","actual":"1 delivered","passed":true,"failure":""}"#.utf8))
        XCTAssertEqual(result, ExpectationResult(name: "wills.abrupt", expected: "delivered", actual: "1 delivered", passed: true))
        XCTAssertTrue(result.exercised)
        XCTAssertFalse(result.isDefault)
        let telemetry = try JSONDecoder().decode(TelemetrySection.self, from: JSONEncoder().encode(SyntheticRun.report().telemetry))
        XCTAssertEqual(telemetry.unknownTopicRetained, 0)
    }

    func testMergingTwoReportsMergesHistogramsExactly() throws {
        var first = SyntheticRun.report()
        var second = SyntheticRun.report()
        // Give the second run different connect latencies so the merge is not a doubling.
        var extra = LatencyHistogram()
        for value in 1...500 { extra.record(UInt64(value) * 7_919) }
        second.latency = second.latency.map { entry in
            entry.phase == .connack ? LatencyEntry(phase: .connack, histogram: extra) : entry
        }
        first = try JSONReport.decode(JSONReport.encode(first))
        second = try JSONReport.decode(JSONReport.encode(second))

        let merged = try ReportMerge.merge([first, second])
        var expected = try LatencyHistogram(encoded: XCTUnwrap(first.latency.first { $0.phase == .connack }).histogram)
        expected.merge(extra)
        let connack = try XCTUnwrap(merged.latency.first { $0.phase == .connack })
        XCTAssertEqual(try LatencyHistogram(encoded: connack.histogram), expected)
        XCTAssertEqual(connack.summary.count, 4 + 500) // 4 CONNACKs in the ledger
        XCTAssertEqual(merged.telemetry.lost, 2)
        XCTAssertEqual(merged.wills["missing"], 2)
        XCTAssertEqual(merged.expectationsFailed, 10)
        XCTAssertThrowsError(try ReportMerge.merge([]))
    }

    func testJUnitHasOneCasePerExpectationWithFailures() throws {
        let report = SyntheticRun.report()
        let xml = JUnitReport.render(report)
        XCTAssertEqual(xml.components(separatedBy: "<testcase ").count - 1, report.expectations.count)
        XCTAssertEqual(xml.components(separatedBy: "<failure ").count - 1, 5)
        XCTAssertTrue(xml.contains(#"tests="11" failures="5" skipped="3""#), xml)
        XCTAssertEqual(xml.components(separatedBy: "<skipped ").count - 1, 3)
        XCTAssertTrue(xml.contains(#"<skipped message="expected delivered (default), not exercised: no silent endings injected"/>"#), xml)
        XCTAssertTrue(xml.contains("dev-02 is offline but status is &quot;online&quot;"), xml)
        // Well-formed: Foundation's XML parser accepts it.
        let parser = XMLParser(data: Data(xml.utf8))
        XCTAssertTrue(parser.parse(), String(describing: parser.parserError))
    }

    func testHTMLIsSelfContainedWithEveryPlot() {
        let html = HTMLReport.render(SyntheticRun.report())
        for id in HTMLReport.plotIDs {
            XCTAssertTrue(html.contains("<svg class=\"plot\" id=\"\(id)\""), "missing plot \(id)")
        }
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("http://") && !html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("NaN"))
        XCTAssertFalse(html.contains("inf"))
        XCTAssertTrue(html.contains("FAILED — 5 of 8 expectations failed, 3 not exercised"), "the banner counts as the summary does")
    }

    func testHTMLOfAnEmptyRunStillRenders() {
        let plan = Fixtures.plan([Fixtures.group(count: 1)])
        let report = RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: [], observers: ObserverTotals(trackers: [])))
        XCTAssertEqual(report.latency, [], "no phase without samples")
        let html = HTMLReport.render(report)
        // Every plot but the will chart, which has nothing to draw.
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"plot\"").count - 1, HTMLReport.plotIDs.count - 1)
        XCTAssertFalse(html.contains("id=\"wills\""))
        XCTAssertFalse(html.contains("NaN"))
    }

    func testReportFilesAreWrittenSideBySide() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-report-\(UUID().uuidString)").path
        let report = SyntheticRun.report()
        let paths = try ReportFiles.write(report, base: base)
        XCTAssertEqual(paths, [base + ".json", base + ".junit.xml", base + ".html", base + ".txt"])
        XCTAssertEqual(try JSONReport.decode(Data(contentsOf: URL(fileURLWithPath: paths[0]))), report)
        XCTAssertEqual(try String(contentsOfFile: paths[3], encoding: .utf8), TerminalSummary.render(report, style: .plain))
        for path in paths { try FileManager.default.removeItem(atPath: path) }
    }
}
