import Foundation
import Ledger
import Scenario
import XCTest

/// Every file of the scenario library, played by `fleet run` against the test broker (mosquitto): it must
/// pass all its own expectations, run to its end, and its timeline must visibly have happened — each
/// fault-injecting step logs its fault for exactly the devices the seeded selection picks.
///
/// One test per file, named after it (`testLwtAbruptDisconnect` plays `lwt-abrupt-disconnect.yaml`), so a
/// failure names the scenario.
final class LibraryScenarioTests: XCTestCase {
    /// The files these tests play; `testEveryLibraryFileHasItsTest` compares it with `Scenarios/`.
    static let tested = [
        "duplicate-client-id-pingpong", "expired-device-certificate", "graceful-disconnect-no-lwt",
        "lwt-abrupt-disconnect", "lwt-keepalive-expiry", "lwt-topic-not-authorized", "missing-intermediate-in-chain",
        "mixed-firmware-fleet", "quickstart", "reconnect-storm-no-backoff", "subscribe-not-authorized",
        "throttled-cellular-link",
    ]

    func testEveryLibraryFileHasItsTest() throws {
        let files = try LibraryScenarios.names()
        XCTAssertEqual(Set(files).subtracting(Self.tested).sorted(), [], "scenario files without an end-to-end test here")
        XCTAssertEqual(Set(Self.tested).subtracting(files).sorted(), [], "tests for scenario files that are gone")
    }

    func testDuplicateClientIdPingpong() throws { try play() }
    func testExpiredDeviceCertificate() throws { try play() }
    func testGracefulDisconnectNoLwt() throws { try play() }
    func testLwtAbruptDisconnect() throws { try play() }
    func testLwtKeepaliveExpiry() throws { try play() }
    func testLwtTopicNotAuthorized() throws { try play() }
    func testMissingIntermediateInChain() throws { try play() }
    func testMixedFirmwareFleet() throws { try play() }
    /// The README's main job; also the plain QoS 1 case: no faults, so nothing lost and every message once.
    func testQuickstart() throws {
        let report = try play().report()
        XCTAssertEqual(report.telemetry.total.lost, 0)
        XCTAssertEqual(report.telemetry.total.duplicates, 0)
        XCTAssertGreaterThan(report.telemetry.total.unique, 0)
        XCTAssertEqual(report.telemetry.total.sent, report.telemetry.total.unique, "every sent message arrived once")
        let acknowledgements = try XCTUnwrap(report.latency.first { $0.phase == .puback }, "PUBACK latency measured")
        XCTAssertEqual(acknowledgements.summary.count, report.telemetry.total.sent, "one PUBACK latency per QoS 1 message")
    }

    func testReconnectStormNoBackoff() throws { try play() }
    func testSubscribeNotAuthorized() throws { try play() }
    func testThrottledCellularLink() throws { try play() }

    /// Plays the library file the calling test is named after and checks the run.
    @discardableResult
    private func play(test: String = #function, file: StaticString = #filePath, line: UInt = #line) throws -> FleetBinary.Run {
        let name = Self.scenarioName(testName: test)
        XCTAssertTrue(Self.tested.contains(name), "\(name) is missing from LibraryScenarioTests.tested", file: file, line: line)
        let path = LibraryScenarios.path(name)
        let plan = try LibraryScenarios.plan(path)
        if plan.devices().contains(where: { if case .certificate = $0.credentials { true } else { false } }) {
            try TestCertificates.ensure()
        }

        let run = try FleetBinary.run(scenario: path)
        XCTAssertEqual(run.outcome.status, 0, "\(name): an expectation failed or the run broke:\n\(run.outcome.output)",
                       file: file, line: line)
        let events = try run.events()
        XCTAssertTrue(events.contains { $0.kind == .runEnded(reason: .completed) }, "\(name): no runEnded(completed)",
                      file: file, line: line)
        let report = try run.report()
        for failed in report.expectations where !failed.passed {
            XCTFail("\(name): \(failed.name) expected \(failed.expected), got \(failed.actual): \(failed.failure)",
                    file: file, line: line)
        }

        let steps = StepFaults.compare(plan: plan, events: events)
        for step in steps {
            let label = "\(name) step \(step.step.index) (line \(step.step.location.line), \(step.kind.rawValue))"
            XCTAssertFalse(step.expected.isEmpty, "\(label) selects no device", file: file, line: line)
            XCTAssertEqual(step.logged, step.expected, "\(label): faultInjected events vs the seeded selection",
                           file: file, line: line)
        }
        return run
    }

    /// `testLwtAbruptDisconnect()` → `lwt-abrupt-disconnect`.
    static func scenarioName(testName: String) -> String {
        let words = testName.dropFirst("test".count).prefix { $0 != "(" }
        var name = ""
        for character in words {
            if character.isUppercase, !name.isEmpty { name.append("-") }
            name.append(contentsOf: character.lowercased())
        }
        return name
    }
}
