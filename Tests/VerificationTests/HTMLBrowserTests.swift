import Foundation
import Reports
import XCTest

/// Renders the HTML report in a real headless browser (Debian's `chromium`; `.ci/run`
/// installs it) and checks the DOM it built: every SVG plot present, no error page.
final class HTMLBrowserTests: XCTestCase {
    private func chromium() throws -> String {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        return try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0) },
                             "no headless browser: apt-get install -y chromium")
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(executable) \(arguments.joined(separator: " "))")
        return String(decoding: data, as: UTF8.self)
    }

    func testReportRendersInHeadlessChromium() throws {
        let browser = try chromium()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let page = directory.appendingPathComponent("report.html")
        try HTMLReport.render(SyntheticRun.report()).write(to: page, atomically: true, encoding: .utf8)
        let profile = directory.appendingPathComponent("profile").path
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--no-first-run"]

        let dom = try run(browser, common + ["--dump-dom", page.absoluteString])
        for id in HTMLReport.plotIDs {
            XCTAssertTrue(dom.contains("id=\"\(id)\""), "plot \(id) missing from the rendered DOM")
        }
        XCTAssertTrue(dom.contains("<polyline"), "no line was drawn")
        XCTAssertTrue(dom.contains("<circle"), "no dot was drawn")
        XCTAssertTrue(dom.contains("<rect"), "no bar was drawn")
        XCTAssertTrue(dom.contains("FAILED — 5 of 11 expectations"))
        for error in ["This page isn", "ERR_", "parsererror", "NaN"] {
            XCTAssertFalse(dom.contains(error), "rendered DOM contains \(error)")
        }

        let screenshot = directory.appendingPathComponent("report.png")
        _ = try run(browser, common + ["--screenshot=\(screenshot.path)", "--window-size=1000,2400", page.absoluteString])
        let png = try Data(contentsOf: screenshot)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertGreaterThan(png.count, 20_000, "screenshot is suspiciously small (blank page?)")
        if let keep = ProcessInfo.processInfo.environment["FLEET_KEEP_HTML"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: directory, to: URL(fileURLWithPath: keep))
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
