import Foundation
import Reports
import XCTest

/// `fleet report merge` names each file that is not a run report and what it is, in one line, instead of a
/// decoder's dump.
final class ReportFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "report-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The one-line message for `path`, failing when it reads as a report.
    private func refusal(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try ReportFile.read(path)
            XCTFail("\(path) read as a report", file: file, line: line)
            return ""
        } catch {
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(path + " "), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n") || message.contains("DecodingError") || message.contains("codingPath"),
                           message, file: file, line: line)
            return message
        }
    }

    func testARunReportReads() throws {
        let path = folder + "/run.json"
        try JSONReport.encode(SyntheticRun.report()).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try ReportFile.read(path), SyntheticRun.report())
    }

    func testALedgerIsNamedWithItsReport() throws {
        let ledger = try write("run-1.jsonl", #"{"kind":{"runStarted":{"scenario":"s","devices":1,"seed":1}},"at":1}"# + "\n"
                               + #"{"kind":{"connecting":{"attempt":1}},"at":2,"device":"d"}"# + "\n")
        XCTAssertTrue(refusal(ledger).contains("is a run ledger (the run's events, one JSON object a line), not a report: "
                                               + "its report is the .json file"), refusal(ledger))
        let report = try write("run-1.json", "{}")
        XCTAssertEqual(refusal(ledger), "\(ledger) is a run ledger (the run's events, one JSON object a line), not a report: "
                       + "merge \(report), the report its run wrote beside it")
    }

    func testOtherReportsOfTheRunPointAtTheJSONOne() throws {
        let report = try write("run-2.json", "{}")
        let html = try write("run-2.html", "<!DOCTYPE html><html><body></body></html>")
        XCTAssertEqual(refusal(html), "\(html) is an HTML report, not the JSON report: merge \(report), the report its run wrote")
        XCTAssertTrue(refusal(try write("run-2.junit.xml", #"<?xml version="1.0"?><testsuites></testsuites>"#))
            .contains("is a JUnit report"))
        XCTAssertTrue(refusal(try write("run-2.txt", "fleet run — scenario x\n")).contains("is not JSON, so not a run report: merge \(report)"))
    }

    func testTruncatedAndMalformedJSONAreToldApart() throws {
        var text = String(decoding: try JSONReport.encode(SyntheticRun.report()), as: UTF8.self)
        text.removeLast(text.count / 2)
        XCTAssertTrue(refusal(try write("cut.json", text)).contains("ends before its JSON does"))
        XCTAssertTrue(refusal(try write("bad.json", #"{"schema": fleet}"#)).hasSuffix("is not valid JSON"))
        XCTAssertTrue(refusal(try write("empty.json", "")).hasSuffix("is empty"))
        XCTAssertTrue(refusal(folder + "/missing.json").hasSuffix("does not exist"))
    }

    func testSchemasAreNamed() throws {
        XCTAssertTrue(refusal(try write("v2.json", #"{"schema":"fleet-run-report/2"}"#))
            .hasSuffix("is a fleet-run-report/2 report, from another version of fleet; this one reads fleet-run-report/1"))
        XCTAssertTrue(refusal(try write("merged.json", #"{"schema":"fleet-merged-report/1"}"#)).contains("is a merged report"))
        XCTAssertTrue(refusal(try write("other.json", #"{"schema":"something-else/9"}"#))
            .hasSuffix(#"has schema "something-else/9", not fleet-run-report/1"#))
        XCTAssertTrue(refusal(try write("plain.json", #"{"a":1}"#)).hasSuffix("is JSON but not a run report (it has no `schema`)"))
        XCTAssertTrue(refusal(try write("missing-key.json", #"{"schema":"fleet-run-report/1"}"#))
            .contains("says fleet-run-report/1 but has no `"))
    }
}
