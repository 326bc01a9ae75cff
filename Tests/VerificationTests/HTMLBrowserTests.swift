import Foundation
@testable import Reports
import XCTest

/// Renders the HTML report in a real headless browser (Debian's `chromium`; `.ci/run`
/// installs it) and checks the DOM it built: every SVG plot present, no error page, and no text cut off
/// by its chart's edge or written over another label.
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
        XCTAssertTrue(dom.contains("FAILED — 5 of 8 expectations failed, 3 not exercised"))
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

    /// The page's own layout, measured by a script added to a copy of it (the report itself has none): every
    /// text's box inside its chart, no two mark labels over each other, and each lane and mark label no wider
    /// than ``SVGChart/textWidth(_:fontSize:)`` estimated, since the gutters and rows are sized by that estimate.
    func testNoTextIsClippedOrOverlappedInHeadlessChromium() throws {
        let browser = try chromium()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("layout.html")
        let measure = """
            <script>
            const out = [];
            const inside = (r, box) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
            for (const svg of document.querySelectorAll('svg.plot')) {
              const box = svg.getBoundingClientRect();
              const marks = [];
              for (const text of svg.querySelectorAll('text')) {
                const r = text.getBoundingClientRect(), label = text.firstChild.nodeValue;
                if (!inside(r, box)) out.push('clipped ' + svg.id + ': ' + label);
                if (text.classList.contains('lane') || text.classList.contains('mark')) out.push('width ' + r.width.toFixed(1) + ' ' + label);
                if (text.classList.contains('mark')) marks.push([r, label]);
              }
              marks.forEach(([a, x], i) => marks.slice(i + 1).forEach(([b, y]) => {
                if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push('overlap ' + svg.id + ': ' + x + ' / ' + y);
              }));
            }
            const pre = document.createElement('pre');
            pre.id = 'layout';
            pre.textContent = out.join('\\n');
            document.body.appendChild(pre);
            </script>
            """
        let html = HTMLReport.render(CrowdedRun.report()).replacingOccurrences(of: "</body>", with: measure + "</body>")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let profile = directory.appendingPathComponent("profile").path
        let dom = try run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--no-first-run",
                                    "--window-size=1000,2400", "--dump-dom", page.absoluteString])
        let start = try XCTUnwrap(dom.range(of: "<pre id=\"layout\">"), "the measuring script did not run")
        let end = try XCTUnwrap(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let lines = dom[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { !$0.hasPrefix("width ") }, [], "texts cut off or written over each other")
        let widths = lines.filter { $0.hasPrefix("width ") }
        XCTAssertGreaterThan(widths.count, 10, "lane and mark labels measured")
        for line in widths {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            let measured = try XCTUnwrap(Double(parts[1])), label = parts[2].replacingOccurrences(of: "&amp;", with: "&")
            XCTAssertLessThanOrEqual(measured, SVGChart.textWidth(label), "'\(label)' is wider than estimated")
        }
    }
}
