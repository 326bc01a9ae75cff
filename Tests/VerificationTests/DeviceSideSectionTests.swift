import Foundation
import Ledger
import Reports
import Scenario
import Verification
import XCTest

/// The report's `sessions` and `deviceErrors` sections, read from the `sessionCarried`, `publishRefused` and
/// `oversizedPacketDropped` events devices write, and how the renderers and the merge show them.
final class DeviceSideSectionTests: XCTestCase {
    private typealias F = Fixtures

    /// dev-01 reconnects twice into a kept session (3 then 1 resent), dev-02 once into a lost one (2 abandoned).
    private static let carried: [RunEvent] = [
        F.event(F.s(3), "dev-01", .sessionCarried(resent: 3, abandoned: 0)),
        F.event(F.s(4), "dev-02", .sessionCarried(resent: 0, abandoned: 2)),
        F.event(F.s(6), "dev-01", .sessionCarried(resent: 1, abandoned: 0)),
    ]

    /// dev-01 refused on two connections, dev-02 on one, the controller (no device) once; dev-03's library dropped
    /// a PUBLISH and cut another, dev-01's dropped a SUBACK.
    private static let errors: [RunEvent] = [
        F.event(F.s(2), "dev-01", .publishRefused(topic: "devices/dev-01/sequence", reason: "packet too large")),
        F.event(F.s(5), "dev-01", .publishRefused(topic: "devices/dev-01/sequence", reason: "packet too large")),
        F.event(F.s(5), "dev-02", .publishRefused(topic: "devices/dev-02/sequence", reason: "retain not supported")),
        F.event(F.s(6), nil, .publishRefused(topic: "devices/dev-03/cmd", reason: "controller c: packet too large")),
        F.event(F.s(7), "dev-03", .oversizedPacketDropped(packetType: "PUBLISH", size: 5000, limit: 4096, deliveredBytes: 0)),
        F.event(F.s(8), "dev-03", .oversizedPacketDropped(packetType: "PUBLISH", size: 6000, limit: 4096, deliveredBytes: 4096)),
        F.event(F.s(9), "dev-01", .oversizedPacketDropped(packetType: "SUBACK", size: 300, limit: 256, deliveredBytes: 0)),
    ]

    private func report(_ middle: [RunEvent], observers: ObserverTotals = ObserverSink.merged([])) -> RunReport {
        let plan = F.plan([F.group(count: 3)])
        let events = [F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 3))] + middle + [F.end(F.s(10))]
        return RunAnalysis.report(RunAnalysis.Inputs(plan: plan, events: events, observers: observers))
    }

    func testCarriedSessionsAreTotalledAndListOnlyDevicesWithACount() throws {
        let sessions = try XCTUnwrap(report(Self.carried).sessions)
        XCTAssertEqual(sessions.reconnects, 3)
        XCTAssertEqual(sessions.resent.total, 4)
        XCTAssertEqual(sessions.resent.devices, 1)
        XCTAssertEqual(sessions.resent.top, [DeviceTally.Entry(device: "dev-01", count: 4)])
        XCTAssertEqual(sessions.abandoned.total, 2)
        XCTAssertEqual(sessions.abandoned.top, [DeviceTally.Entry(device: "dev-02", count: 2)])
    }

    func testAResentMessageCountsOnceAndItsRedeliveryAsADuplicate() throws {
        let plan = F.plan([F.group(count: 3)])
        var sink = ObserverSink(roster: ObserverRoster(plan: plan), ledger: RunEventCollector())
        for sequence in [0, 1, 2, 2, 3] { // 2 resent with DUP after the resume
            sink.telemetry(device: 0, sequence: UInt64(sequence), sentAtNs: nil, receivedAtNs: F.s(Double(sequence)))
        }
        let report = report([F.event(F.s(2.5), "dev-01", .sessionCarried(resent: 1, abandoned: 0))],
                            observers: ObserverSink.merged([sink]))
        XCTAssertEqual(report.telemetry.total.unique, 4)
        XCTAssertEqual(report.telemetry.total.duplicates, 1)
        XCTAssertEqual(report.sessions?.resent.total, 1)
    }

    func testTheDeviceListIsBoundedAndWorstFirst() {
        let counts = Dictionary(uniqueKeysWithValues: (1...25).map { (String(format: "dev-%02d", $0), $0 % 13) })
        let tally = DeviceTally(total: counts.values.reduce(0, +), byDevice: counts)
        XCTAssertEqual(tally.devices, 24, "dev-13 has a zero count: not listed, not counted")
        XCTAssertEqual(tally.top.count, DeviceTally.listed)
        XCTAssertEqual(tally.top.prefix(3).map(\.device), ["dev-12", "dev-25", "dev-11"])
        XCTAssertEqual(tally.top.map(\.count), tally.top.map(\.count).sorted(by: >))
    }

    func testRefusalsAndOversizedPacketsAreCountedPerConnectionWithWhatTheLibraryDid() throws {
        let errors = try XCTUnwrap(report(Self.errors).deviceErrors)
        XCTAssertEqual(errors.refusals.connections.total, 4, "the controller's refusal counts though it names no device")
        XCTAssertEqual(errors.refusals.connections.devices, 2)
        XCTAssertEqual(errors.refusals.connections.top.map(\.device), ["dev-01", "dev-02"])
        XCTAssertEqual(errors.refusals.reasons,
                       ["packet too large": 2, "retain not supported": 1, "controller c: packet too large": 1])
        XCTAssertEqual(errors.oversized.connections.total, 3)
        XCTAssertEqual(errors.oversized.connections.top, [DeviceTally.Entry(device: "dev-03", count: 2),
                                                          DeviceTally.Entry(device: "dev-01", count: 1)])
        XCTAssertEqual(errors.oversized.dropped, ["PUBLISH": 1, "SUBACK": 1])
        XCTAssertEqual(errors.oversized.cut, ["PUBLISH": 1])
        XCTAssertEqual(errors.oversized.maxSize, 6000)
        XCTAssertEqual(errors.oversized.limitOfMax, 4096)
        XCTAssertNil(report(Self.errors).sessions)
    }

    func testALedgerWithoutTheEventsHasNeitherSectionNorItsJSONKeys() throws {
        let plain = report([F.connected(F.s(1), "dev-01")])
        XCTAssertNil(plain.sessions)
        XCTAssertNil(plain.deviceErrors)
        let json = String(decoding: try JSONReport.encode(plain), as: UTF8.self)
        XCTAssertFalse(json.contains("\"sessions\""), json)
        XCTAssertFalse(json.contains("\"deviceErrors\""), json)
    }

    func testTheJSONCarriesTheSectionsAndAReportWrittenBeforeThemStillReads() throws {
        let full = report(Self.carried + Self.errors)
        let data = try JSONReport.encode(full)
        XCTAssertEqual(try JSONReport.decode(data), full)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains(#""limitOfMax" : 4096"#))

        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["sessions"] = nil
        object["deviceErrors"] = nil
        let old = try JSONReport.decode(try JSONSerialization.data(withJSONObject: object))
        XCTAssertNil(old.sessions)
        XCTAssertNil(old.deviceErrors)
        XCTAssertEqual(old.telemetry, full.telemetry)
    }

    func testMergingSumsTheSectionsAndKeepsThemAbsentWhenNoRunHadThem() throws {
        let first = report(Self.carried + Self.errors)
        let second = report([
            F.event(F.s(3), "dev-02", .sessionCarried(resent: 5, abandoned: 1)),
            F.event(F.s(4), "dev-02", .oversizedPacketDropped(packetType: "PUBLISH", size: 9000, limit: 8192, deliveredBytes: 0)),
        ])
        let merged = try ReportMerge.merge([first, second, report([])])
        let sessions = try XCTUnwrap(merged.sessions)
        XCTAssertEqual(sessions.reconnects, 4)
        XCTAssertEqual(sessions.resent.total, 9)
        XCTAssertEqual(sessions.resent.top.map(\.device), ["dev-02", "dev-01"])
        XCTAssertEqual(sessions.abandoned.total, 3)
        XCTAssertEqual(sessions.abandoned.top, [DeviceTally.Entry(device: "dev-02", count: 3)])
        let errors = try XCTUnwrap(merged.deviceErrors)
        XCTAssertEqual(errors.refusals.connections.total, 4)
        XCTAssertEqual(errors.refusals.reasons["packet too large"], 2)
        XCTAssertEqual(errors.oversized.connections.total, 4)
        XCTAssertEqual(errors.oversized.dropped, ["PUBLISH": 2, "SUBACK": 1])
        XCTAssertEqual(errors.oversized.maxSize, 9000)
        XCTAssertEqual(errors.oversized.limitOfMax, 8192)

        let none = try ReportMerge.merge([report([]), report([])])
        XCTAssertNil(none.sessions)
        XCTAssertNil(none.deviceErrors)
        XCTAssertTrue(TerminalSummary.render(merged).contains("resent after resume 9"))
    }

    func testTheTerminalSummaryShowsEachLineOnlyWhenItsCountIsNotZero() {
        let resentOnly = TerminalSummary.render(report([F.event(F.s(3), "dev-01", .sessionCarried(resent: 3, abandoned: 0))]))
        XCTAssertTrue(resentOnly.contains("  resent after resume 3 (duplicates above include them at QoS 1)\n"), resentOnly)
        XCTAssertFalse(resentOnly.contains("abandoned"), resentOnly)
        XCTAssertFalse(resentOnly.contains("Device-side errors"), resentOnly)

        let abandonedOnly = TerminalSummary.render(report([F.event(F.s(3), "dev-02", .sessionCarried(resent: 0, abandoned: 2))]))
        XCTAssertTrue(abandonedOnly.contains("  abandoned (session not resumed) 2, e.g. dev-02 ×2\n"), abandonedOnly)
        XCTAssertFalse(abandonedOnly.contains("resent after resume"), abandonedOnly)

        let plain = TerminalSummary.render(report([]))
        for absent in ["resent after resume", "abandoned", "Device-side errors"] {
            XCTAssertFalse(plain.contains(absent), absent)
        }
    }

    func testTheTerminalSummaryNamesEveryRefusalReasonAndWhatTheLibraryDidWithAPacket() throws {
        let summary = TerminalSummary.render(report(Self.errors))
        let lines = summary.split(separator: "\n").map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Device-side errors") }, summary)
        XCTAssertEqual(Array(lines[start...].prefix(8)), [
            "Device-side errors (counted once per connection)",
            "  publishes refused by the device's client on 4 connections, e.g. dev-01 ×2, dev-02 ×1",
            "    2 × packet too large",
            "    1 × controller c: packet too large",
            "    1 × retain not supported",
            "  packets over the device's buffer on 3 connections, largest 6000 bytes (limit 4096), e.g. dev-03 ×2, dev-01 ×1",
            "    1 × PUBLISH dropped by the library",
            "    1 × SUBACK dropped by the library",
        ], summary)
        XCTAssertTrue(summary.contains("    1 × PUBLISH delivered cut to the buffer"), summary)
    }

    func testTheHTMLHasTheTablesOnlyWhenTheSectionsExist() {
        let html = HTMLReport.render(report(Self.carried + Self.errors))
        XCTAssertTrue(html.contains("<h2>Device-side errors</h2>"))
        XCTAssertTrue(html.contains("<tr><td>reconnects carrying a session</td><td>3</td></tr>"), html)
        XCTAssertTrue(html.contains("<tr><td>refused: retain not supported</td><td>1</td></tr>"), html)
        XCTAssertTrue(html.contains("<tr><td>dev-01</td><td>4</td><td>0</td></tr>"), html)
        let plain = HTMLReport.render(report([]))
        XCTAssertFalse(plain.contains("Device-side errors"))
        XCTAssertFalse(plain.contains("reconnects carrying a session"))
    }
}
