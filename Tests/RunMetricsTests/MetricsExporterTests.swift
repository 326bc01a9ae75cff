import RunMetrics
import XCTest

final class MetricsExporterTests: XCTestCase {
    private func text(_ exporter: MetricsExporter) -> String {
        String(decoding: exporter.exposition(), as: UTF8.self)
    }

    private func lines(_ exporter: MetricsExporter) -> Set<String> {
        Set(text(exporter).split(separator: "\n").map(String.init))
    }

    func testEveryMetricHasItsTypeAndHelpBeforeAnyUpdate() {
        let exposition = lines(MetricsExporter())
        let gauges = ["fleet_devices", "fleet_devices_connected", "fleet_devices_connecting", "fleet_devices_down",
                      "fleet_run_elapsed_seconds"]
        let counters = ["fleet_messages_published_total", "fleet_messages_acknowledged_total",
                        "fleet_messages_received_total", "fleet_faults_injected_total", "fleet_wills_received_total"]
        for gauge in gauges {
            XCTAssertTrue(exposition.contains("# TYPE \(gauge) gauge"), gauge)
            XCTAssertTrue(exposition.contains { $0.hasPrefix("# HELP \(gauge) ") }, gauge)
            XCTAssertTrue(exposition.contains("\(gauge) 0.0"), gauge)
        }
        for counter in counters {
            XCTAssertTrue(exposition.contains("# TYPE \(counter) counter"), counter)
            XCTAssertTrue(exposition.contains { $0.hasPrefix("# HELP \(counter) ") }, counter)
            XCTAssertTrue(exposition.contains("\(counter) 0"), counter)
        }
    }

    func testUpdateSetsGaugesAndCounters() {
        let exporter = MetricsExporter()
        exporter.update(MetricsSnapshot(
            devicesTotal: 1000, devicesConnected: 950, devicesConnecting: 30, devicesDown: 20,
            messagesPublished: 123_456, messagesAcknowledged: 120_000, messagesReceived: 123_400,
            faultsInjected: 7, willsReceived: 5, elapsedSeconds: 61.5))
        let exposition = lines(exporter)
        for expected in [
            "fleet_devices 1000.0", "fleet_devices_connected 950.0", "fleet_devices_connecting 30.0",
            "fleet_devices_down 20.0", "fleet_run_elapsed_seconds 61.5",
            "fleet_messages_published_total 123456", "fleet_messages_acknowledged_total 120000",
            "fleet_messages_received_total 123400", "fleet_faults_injected_total 7", "fleet_wills_received_total 5",
        ] {
            XCTAssertTrue(exposition.contains(expected), "missing \(expected) in:\n\(text(exporter))")
        }
    }

    func testCountersFollowTheTotalsAndNeverGoDown() {
        let exporter = MetricsExporter()
        exporter.update(MetricsSnapshot(messagesPublished: 100, willsReceived: 2))
        exporter.update(MetricsSnapshot(messagesPublished: 250, willsReceived: 3))
        XCTAssertTrue(lines(exporter).contains("fleet_messages_published_total 250"), text(exporter))
        XCTAssertTrue(lines(exporter).contains("fleet_wills_received_total 3"), text(exporter))

        exporter.update(MetricsSnapshot(messagesPublished: 10, willsReceived: 0))
        XCTAssertTrue(lines(exporter).contains("fleet_messages_published_total 250"), text(exporter))
        XCTAssertTrue(lines(exporter).contains("fleet_wills_received_total 3"), text(exporter))

        exporter.update(MetricsSnapshot(messagesPublished: 300, willsReceived: 3))
        XCTAssertTrue(lines(exporter).contains("fleet_messages_published_total 300"), text(exporter))
    }

    func testGaugesFollowTheLatestSnapshotDownAsWellAsUp() {
        let exporter = MetricsExporter()
        exporter.update(MetricsSnapshot(devicesConnected: 10, devicesDown: 0))
        exporter.update(MetricsSnapshot(devicesConnected: 4, devicesDown: 6))
        XCTAssertTrue(lines(exporter).contains("fleet_devices_connected 4.0"), text(exporter))
        XCTAssertTrue(lines(exporter).contains("fleet_devices_down 6.0"), text(exporter))
    }

    func testWillVerdictsAreAGaugePerJudgementThatFallsBackToZero() {
        let exporter = MetricsExporter()
        exporter.update(MetricsSnapshot(willVerdicts: ["undecided": 3]))
        exporter.update(MetricsSnapshot(willVerdicts: ["delivered": 2, "missing": 1]))
        let exposition = lines(exporter)
        for expected in [
            #"fleet_wills_verdicts{judgement="delivered"} 2.0"#, #"fleet_wills_verdicts{judgement="missing"} 1.0"#,
            #"fleet_wills_verdicts{judgement="undecided"} 0.0"#,
        ] {
            XCTAssertTrue(exposition.contains(expected), "missing \(expected) in:\n\(text(exporter))")
        }
        XCTAssertEqual(exposition.filter { $0 == "# TYPE fleet_wills_verdicts gauge" }.count, 1, text(exporter))
    }
}
