import Reports
import XCTest

/// The live line at the widths people's terminals have, and as plain lines in a log.
final class LiveLineTests: XCTestCase {
    private let snapshot = ProgressSnapshot(
        elapsedNs: 75 * Fixtures.second, plannedNs: 300 * Fixtures.second, devices: 1000, connected: 950,
        connecting: 30, down: 20, publishedPerSecond: 480.4, deliveredPerSecond: 12_345, faultsInjected: 50,
        verdicts: ["delivered": 48, "missing": 2])

    /// One terminal refresh of the snapshot at `columns`, with its control codes and colours taken out.
    private func visibleFrame(columns: Int, _ snapshot: ProgressSnapshot? = nil) throws -> String {
        let snapshot = snapshot ?? self.snapshot
        var display = LiveDisplay<ProgressSnapshot>(terminal: true)
        let frame = try XCTUnwrap(display.refresh(snapshot.counts, atNs: snapshot.elapsedNs, columns: columns) {
            ProgressLine.render(snapshot, style: $0, width: $1)
        })
        XCTAssertTrue(frame.hasPrefix("\r"), "redrawn from the line's start: \(frame.debugDescription)")
        XCTAssertTrue(frame.hasSuffix("\u{1B}[K"), "what the last line left is erased: \(frame.debugDescription)")
        XCTAssertFalse(frame.contains("\n"), "a refresh never starts a new line")
        let visible = frame.replacingOccurrences(of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r", with: "")
        XCTAssertLessThan(visible.count, columns, "narrower than the terminal, so it never wraps: \(visible)")
        return visible
    }

    func testAt200ColumnsEverythingShows() throws {
        XCTAssertEqual(try visibleFrame(columns: 200),
                       "[#####···············] 1:15/5:00 up 950/1000 · connecting 30 · down 20 · out 480/s · in 12.3k/s"
                       + " · faults 50 · wills: delivered 48, missing 2")
    }

    func testAt120ColumnsTheRatesGoFirstAndTheVerdictsStay() throws {
        XCTAssertEqual(try visibleFrame(columns: 120),
                       "[#####···············] 1:15/5:00 up 950/1000 · connecting 30 · down 20 · faults 50"
                       + " · wills: delivered 48, missing 2")
    }

    func testAt80ColumnsLowPriorityFieldsAreDroppedWhole() throws {
        let line = try visibleFrame(columns: 80)
        XCTAssertEqual(line, "1:15/5:00 up 950/1000 · down 20 · faults 50 · wills: delivered 48, missing 2")
        for dropped in ["[", "connecting", "out", "in "] { XCTAssertFalse(line.contains(dropped), dropped) }
    }

    func testWhenOnlyTheVerdictsFitTheyAreWhatShows() throws {
        XCTAssertEqual(try visibleFrame(columns: 40), "wills: delivered 48, missing 2")
        XCTAssertEqual(try visibleFrame(columns: 25), "wills: missing 2", "a failure before a delivery")
    }

    /// At any width the line is the full line with whole fields left out: its words, in order, are some of
    /// the full line's, never a word cut short.
    func testEveryWidthKeepsWordsWholeAndFitsTheTerminal() throws {
        let whole = try visibleFrame(columns: 1_000).split(separator: " ")
        for columns in 2...200 {
            var rest = whole[...]
            for word in try visibleFrame(columns: columns).split(separator: " ") {
                guard let found = rest.firstIndex(of: word) else { return XCTFail("\(columns) columns: \(word) cut or moved") }
                rest = rest[(found + 1)...]
            }
        }
    }

    func testAFieldShownIsNeverLessImportantThanOneLeftOut() {
        let fields = [LiveField("first", priority: 3), LiveField("a-long-second", priority: 2), LiveField("x", priority: 1)]
        XCTAssertEqual(LiveLine.render(fields, width: 12), "first", "x would fit, but a-long-second matters more")
        XCTAssertEqual(LiveLine.render(fields, width: 25), "first · a-long-second · x")
    }

    func testFailuresArePaintedOnATerminal() {
        let line = ProgressLine.render(snapshot, style: .ansi, width: 200)
        XCTAssertTrue(line.contains("\u{1B}[31mmissing 2\u{1B}[0m"), line)
        XCTAssertTrue(line.contains("delivered 48,"), line)
    }

    func testPlainLineHasEverythingAndNoControlCharacters() {
        XCTAssertEqual(
            ProgressLine.render(snapshot, style: .plain),
            "[1:15/5:00] up 950/1000 · connecting 30 · down 20 · out 480/s · in 12.3k/s · faults 50 · wills: delivered 48, missing 2")
    }

    func testUndecidedEndingsArePending() {
        let snapshot = ProgressSnapshot(
            elapsedNs: 5 * Fixtures.second, plannedNs: 0, devices: 3, connected: 1, connecting: 0, down: 2,
            publishedPerSecond: 0, deliveredPerSecond: 0, faultsInjected: 2, verdicts: ["undecided": 1, "delivered": 1])
        let line = ProgressLine.render(snapshot, style: .plain)
        XCTAssertTrue(line.hasSuffix("wills: delivered 1, pending 1"), line)
    }

    /// Into a pipe or a file: whole lines without escape codes or carriage returns, one when the counts change
    /// and one every heartbeat otherwise, whatever the refresh rate.
    func testInALogLinesArePlainAndComeOnChangeOrHeartbeat() {
        var display = LiveDisplay<ProgressSnapshot>(terminal: false, heartbeatSeconds: 5)
        var written: [(second: UInt64, text: String)] = []
        for second in UInt64(1)...12 {
            var now = snapshot
            now.elapsedNs = second * Fixtures.second
            now.publishedPerSecond = Double(second * 100)
            if second >= 4 { now.verdicts["missing"] = 3 }
            if let text = display.refresh(now.counts, atNs: now.elapsedNs, columns: 80, line: {
                ProgressLine.render(now, style: $0, width: $1)
            }) { written.append((second, text)) }
        }
        XCTAssertEqual(written.map(\.second), [1, 4, 9], "first line, a verdict changed, then 5 s without change")
        for (_, text) in written {
            XCTAssertFalse(text.contains("\u{1B}"), text)
            XCTAssertFalse(text.contains("\r"), text)
            XCTAssertTrue(text.hasSuffix("\n"), text)
            XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, text)
        }
        XCTAssertTrue(written[1].text.contains("missing 3"), written[1].text)
        XCTAssertTrue(written[2].text.contains("connecting 30 ·") && written[2].text.contains("out 900/s ·"),
                      "a log line is not fitted to the 80 columns: \(written[2].text)")
        XCTAssertNil(display.finish(), "a log has no line to leave")
    }

    func testATerminalLineIsLeftStandingOnceAndNothingAfter() {
        var untouched = LiveDisplay<Int>(terminal: true)
        XCTAssertNil(untouched.finish(), "nothing drawn, nothing to end")
        var display = LiveDisplay<Int>(terminal: true)
        XCTAssertEqual(display.refresh(1, atNs: 0, columns: 10) { _, width in String(repeating: "x", count: width) },
                       "\r" + String(repeating: "x", count: 9) + "\u{1B}[K")
        XCTAssertEqual(display.finish(), "\n")
        XCTAssertNil(display.refresh(2, atNs: 1, columns: 10) { _, _ in "late" }, "no line after the end")
        XCTAssertNil(display.finish())
    }
}
