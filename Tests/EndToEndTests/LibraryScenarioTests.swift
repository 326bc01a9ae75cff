import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// Every file of the scenario library, played by `fleet run`: it must run to its end, reach the verdicts
/// the file states, and its timeline must visibly have happened — each fault-injecting step logs its fault
/// for exactly the devices the seeded selection picks.
///
/// Parity: each file written for the test broker plays on mosquitto and on the lab broker
/// (`LibraryBroker`), one test per file and broker (`testLwtAbruptDisconnectOnMosquitto`,
/// `testLwtAbruptDisconnectOnLabBroker`), and both must reach the same verdicts (`LibraryVerdicts`): the ACL
/// files run on `Fixtures/mosquitto-acl.yaml`, a lab profile with mosquitto's measured answers. The cloud profile files
/// (`eventgrid-…`, `iothub-…`) name their lab profile themselves and play on it only: they are the profile's
/// rules end to end (`testEventgridWillNotAuthorized`).
final class LibraryScenarioTests: XCTestCase {
    /// The files played on both brokers; `testEveryLibraryFileHasItsTest` compares the lists with `Scenarios/`.
    static let parity = [
        "duplicate-client-id-pingpong", "expired-device-certificate", "graceful-disconnect-no-lwt",
        "lwt-abrupt-disconnect", "lwt-keepalive-expiry", "lwt-topic-not-authorized", "missing-intermediate-in-chain",
        "mixed-firmware-fleet", "quickstart", "reconnect-storm-no-backoff", "subscribe-not-authorized",
        "throttled-cellular-link",
        // Their tests are in LibraryScenarioTests+Sessions.swift.
        "persistent-session-resume", "qos2-exactly-once-across-reconnects",
        // Its tests are in LibraryScenarioTests+Commands.swift.
        "configuration-push-acknowledged",
    ]
    /// The files played on the lab profile they name (their tests are in `LibraryScenarioTests+ProfileRules.swift`).
    static let profileRules = [
        "eventgrid-lockout-after-retry-storm", "eventgrid-offline-queue-overflow", "eventgrid-packet-too-large",
        // Its test is in LibraryScenarioTests+EventGrid.swift.
        "eventgrid-multi-session",
        "eventgrid-retain-refused",
        "eventgrid-subscribe-not-authorized", "eventgrid-takeover-refused", "eventgrid-will-not-authorized",
        "iothub-qos2-closes-connection",
        // Its test is IoTHubScenarioTests (one process and a split run).
        "iothub-twin-and-methods",
        // Its test is in LibraryScenarioTests+WebSocket.swift.
        "iothub-sas-websocket",
        // Its test is SASTokenScenarioTests.
        "sas-token-expiry",
        // On Scenarios/profiles/constrained.yaml; its test is in LibraryScenarioTests+Sessions.swift.
        "receive-maximum-respected",
    ]

    func testEveryLibraryFileHasItsTest() throws {
        let files = try LibraryScenarios.names()
        let tested = Self.parity + Self.profileRules
        XCTAssertEqual(Set(files).subtracting(tested).sorted(), [], "scenario files without an end-to-end test here")
        XCTAssertEqual(Set(tested).subtracting(files).sorted(), [], "tests for scenario files that are gone")
        XCTAssertEqual(Set(Self.parity).intersection(Self.profileRules).sorted(), [], "a file is in both lists")
        for name in Self.profileRules {
            let broker = try LibraryScenarios.plan(LibraryScenarios.path(name)).broker
            XCTAssertNotNil(broker.lab, "\(name) is played as written, so it must name its lab profile")
        }
        XCTAssertEqual(Self.scenario(testName: "testLwtAbruptDisconnectOnLabBroker()").name, "lwt-abrupt-disconnect")
        XCTAssertEqual(Self.scenario(testName: "testQuickstartOnMosquitto()").broker, .mosquitto)
    }

    func testDuplicateClientIdPingpongOnMosquitto() throws { try checkNoTakeoverWillIsEarly(play()) }
    func testDuplicateClientIdPingpongOnLabBroker() throws { try checkNoTakeoverWillIsEarly(play()) }
    func testExpiredDeviceCertificateOnMosquitto() throws { try play() }
    func testExpiredDeviceCertificateOnLabBroker() throws { try play() }
    func testGracefulDisconnectNoLwtOnMosquitto() throws { try play() }
    func testGracefulDisconnectNoLwtOnLabBroker() throws { try play() }
    func testLwtAbruptDisconnectOnMosquitto() throws { try play() }
    func testLwtAbruptDisconnectOnLabBroker() throws { try play() }
    func testLwtKeepaliveExpiryOnMosquitto() throws { try play() }
    func testLwtKeepaliveExpiryOnLabBroker() throws { try play() }
    func testLwtTopicNotAuthorizedOnMosquitto() throws { try play() }
    func testLwtTopicNotAuthorizedOnLabBroker() throws { try play() }
    func testMissingIntermediateInChainOnMosquitto() throws { try play() }
    func testMissingIntermediateInChainOnLabBroker() throws { try play() }
    func testMixedFirmwareFleetOnMosquitto() throws { try play() }
    func testMixedFirmwareFleetOnLabBroker() throws { try play() }
    func testQuickstartOnMosquitto() throws { try checkQuickstartTelemetry(play()) }
    func testQuickstartOnLabBroker() throws { try checkQuickstartTelemetry(play()) }
    func testReconnectStormNoBackoffOnMosquitto() throws { try play() }
    func testReconnectStormNoBackoffOnLabBroker() throws { try play() }
    func testSubscribeNotAuthorizedOnMosquitto() throws { try play() }
    func testSubscribeNotAuthorizedOnLabBroker() throws { try play() }
    func testThrottledCellularLinkOnMosquitto() throws { try play() }
    func testThrottledCellularLinkOnLabBroker() throws { try play() }

    /// Without a will delay a takeover's will cannot be early, however the broker orders it against the close the
    /// device sees (mosquitto often publishes it first).
    private func checkNoTakeoverWillIsEarly(_ run: FleetBinary.Run, file: StaticString = #filePath, line: UInt = #line) throws {
        let takeovers = try run.report().wills.verdicts.filter { $0.ending == .takeover }
        XCTAssertFalse(takeovers.isEmpty, "the impostors took over", file: file, line: line)
        XCTAssertEqual(takeovers.filter { $0.judgement == .early }.map(\.reason), [], file: file, line: line)
    }

    /// The README's main job, also the plain QoS 1 case. Its two abrupt cuts are what keeps the accounting from
    /// being "every sent message arrived once and was acknowledged": a message the device wrote just before its
    /// socket was reset may have reached the broker without its PUBACK reaching the device, or (in principle)
    /// not reached the broker at all. Clean sessions resend nothing, so no message can arrive twice.
    private func checkQuickstartTelemetry(_ run: FleetBinary.Run, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try run.report()
        let total = report.telemetry.total
        let sent = try XCTUnwrap(total.sent, "the devices reported what they sent", file: file, line: line)
        var acknowledged: UInt64 = 0
        for event in try run.events() {
            if case .telemetrySummary(_, let acked, _) = event.kind { acknowledged += acked }
        }
        let cuts = UInt64(try run.events().filter {
            if case .faultInjected(.abrupt, _, _, _, _, _, _, _) = $0.kind { true } else { false }
        }.count)
        XCTAssertEqual(cuts, 2, "the file cuts two devices off", file: file, line: line)
        XCTAssertLessThanOrEqual(acknowledged, sent, file: file, line: line)
        let unacknowledged = sent - min(acknowledged, sent)
        XCTAssertGreaterThan(total.unique, 0, file: file, line: line)
        XCTAssertEqual(total.duplicates, 0, "clean sessions resend nothing, so nothing arrives twice", file: file, line: line)
        XCTAssertEqual(total.unique + total.lost, sent, "every sent message arrived once or is counted lost", file: file, line: line)
        XCTAssertLessThanOrEqual(total.lost, unacknowledged,
                                 "a message the broker acknowledged reached the observers (subscribed before any device)",
                                 file: file, line: line)
        XCTAssertLessThanOrEqual(total.lost, cuts, "only a cut can lose a message, at most the one in flight",
                                 file: file, line: line)
        // One message a second per device and acknowledgements within milliseconds: at most the message in
        // flight at each ending (the cuts, then every device's graceful stop) is left unacknowledged.
        XCTAssertLessThanOrEqual(unacknowledged, cuts + UInt64(report.scenario.devices), "unacknowledged messages",
                                 file: file, line: line)
        let acknowledgements = try XCTUnwrap(report.latency.first { $0.phase == .puback }, "PUBACK latency measured",
                                             file: file, line: line)
        XCTAssertEqual(acknowledgements.summary.count, acknowledged, "one PUBACK latency per acknowledged QoS 1 message",
                       file: file, line: line)
    }

    // MARK: Playing a file

    /// Plays the library file the calling test is named after, on the broker its name ends with, and checks
    /// the run: it completed, its verdicts are the expected ones, and its steps hit the selected devices.
    @discardableResult
    func play(test: String = #function, file: StaticString = #filePath, line: UInt = #line) throws -> FleetBinary.Run {
        let (name, broker) = Self.scenario(testName: test)
        let label = "\(name) on \(broker?.rawValue ?? "its lab profile")"
        if let broker {
            XCTAssertTrue(Self.parity.contains(name), "\(name) on \(broker.rawValue) is missing from LibraryScenarioTests.parity",
                          file: file, line: line)
        } else {
            XCTAssertTrue(Self.profileRules.contains(name), "\(name) is missing from LibraryScenarioTests.profileRules",
                          file: file, line: line)
        }
        let path = LibraryScenarios.path(name)
        let override = try broker.flatMap { $0.brokerOverride(fileBroker: try LibraryScenarios.plan(path).broker) }
        return try play(path: path, brokerOverride: override, label: label, file: file, line: line)
    }

    /// Plays the scenario file at `path` (relative to the repository root) and checks the run as `play(test:)` says.
    @discardableResult
    func play(path: String, brokerOverride override: String? = nil, label: String,
              file: StaticString = #filePath, line: UInt = #line) throws -> FleetBinary.Run {
        let plan = try LibraryScenarios.plan(path, brokerOverride: override)
        if plan.devices().contains(where: { if case .certificate = $0.credentials { true } else { false } })
            || plan.observer.identity != nil {
            try TestCertificates.ensure()
        }

        let run = try FleetBinary.run(scenario: path, extra: override.map { ["--broker", $0] } ?? [])
        let events = try run.events()
        XCTAssertTrue(events.contains { $0.kind == .runEnded(reason: .completed) }, "\(label): no runEnded(completed)\n\(run.outcome.output)",
                      file: file, line: line)
        let report = try run.report()
        let expected = LibraryVerdicts.expected(for: plan)
        let verdicts = report.expectations.map { Verdict(name: $0.name, passed: $0.passed) }
        XCTAssertEqual(verdicts, expected, "\(label): verdicts", file: file, line: line)
        for result in report.expectations where !expected.contains(Verdict(name: result.name, passed: result.passed)) {
            XCTFail("\(label): \(result.name) expected \(result.expected), got \(result.actual): \(result.failure)",
                    file: file, line: line)
        }
        XCTAssertEqual(run.outcome.status, 0,
                       "\(label): exit status (1: an expectation failed)\n\(run.outcome.output)", file: file, line: line)

        let steps = StepFaults.compare(plan: plan, events: events)
        for step in steps {
            let stepLabel = "\(label) step \(step.step.index) (line \(step.step.location.line), \(step.kind.rawValue))"
            XCTAssertFalse(step.expected.isEmpty, "\(stepLabel) selects no device", file: file, line: line)
            XCTAssertEqual(step.logged, step.expected, "\(stepLabel): faultInjected events vs the seeded selection",
                           file: file, line: line)
        }
        return run
    }

    /// `testLwtAbruptDisconnectOnLabBroker()` → `lwt-abrupt-disconnect` on the lab broker;
    /// `testEventgridWillNotAuthorized()` → `eventgrid-will-not-authorized` on the profile it names (nil).
    static func scenario(testName: String) -> (name: String, broker: LibraryBroker?) {
        var words = testName.dropFirst("test".count).prefix { $0 != "(" }
        var broker: LibraryBroker?
        for (suffix, target) in [("OnMosquitto", LibraryBroker.mosquitto), ("OnLabBroker", .labBroker)]
        where words.hasSuffix(suffix) {
            words = words.dropLast(suffix.count)
            broker = target
        }
        var name = ""
        for character in words {
            if character.isUppercase, !name.isEmpty { name.append("-") }
            name.append(contentsOf: character.lowercased())
        }
        return (name, broker)
    }
}
