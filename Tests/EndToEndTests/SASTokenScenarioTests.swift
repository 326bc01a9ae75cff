import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// `Scenarios/sas-token-expiry.yaml` played by the built `fleet` on the lab broker's IoT Hub profile: SAS devices
/// (group key, shared access policy, exported key file) renew their tokens before expiry, and the three
/// `sas-fault` kinds are refused, each device's reason in the report.
final class SASTokenScenarioTests: XCTestCase {
    private static let path = LibraryScenarios.path("sas-token-expiry")

    func testTokensRenewBeforeExpiryAndFaultyTokensAreRefusedWithTheirReason() throws {
        let plan = try LibraryScenarios.plan(Self.path)
        let run = try FleetBinary.run(scenario: Self.path)
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        XCTAssertTrue(report.passed, "\(report.expectations.filter { !$0.passed })")
        let events = try run.events()

        // Renewals: a connected device reconnects lifetime − renew-before after each connect (5 s and 6 s here),
        // with a graceful DISCONNECT, and its next CONNECT is accepted.
        let credentials = try XCTUnwrap(report.credentials, "the report has the credentials section")
        var renewalsByDevice: [String: Int] = [:]
        for entry in credentials.renewals.top { renewalsByDevice[entry.device] = entry.count }
        for device in ["sas-renew-01", "sas-renew-02", "sas-renew-03"] {
            XCTAssertEqual(renewalsByDevice[device], 4, "\(device): renewed every 5 s of a 22 s run")
        }
        for device in ["sas-policy-01", "sas-policy-02"] {
            XCTAssertEqual(renewalsByDevice[device], 3, "\(device): renewed every 6 s")
        }
        XCTAssertEqual(credentials.renewals.total, 18)
        try checkRenewalTiming(events, device: "sas-renew-01", every: .seconds(5))
        try checkRenewalTiming(events, device: "sas-policy-02", every: .seconds(6))

        // Faults: every CONNECT of the faulty devices is refused with the broker's code and what was presented.
        let expectedReasons = [
            "sas-fault-01": "presented an expired SAS token", "sas-fault-02": "presented an expired SAS token",
            "sas-fault-03": "presented a SAS token signed with the wrong key",
            "sas-fault-04": "presented a SAS token signed with the wrong key",
            "sas-fault-05": "presented the SAS token of device sas-fault-06",
            "sas-fault-06": "presented the SAS token of device sas-fault-01",
        ]
        var refusals: [String: [String]] = [:]
        var connectedAfterFault: [String: Int] = [:]
        var faultAt: [String: UInt64] = [:]
        for event in events {
            guard let device = event.device else { continue }
            switch event.kind {
            case .faultInjected(.sasFault, _, _, _, _, _, _, _):
                faultAt[device] = event.at
            case .connectFailed(.connack, let reason, let code):
                XCTAssertEqual(code, 0x86, "\(device): IoT Hub's bad user name or password")
                refusals[device, default: []].append(reason)
            case .connected where faultAt[device] != nil:
                connectedAfterFault[device, default: 0] += 1
            default:
                continue
            }
        }
        XCTAssertEqual(Set(refusals.keys), Set(expectedReasons.keys), "only the faulty devices were refused")
        for (device, expected) in expectedReasons {
            let reasons = refusals[device] ?? []
            XCTAssertGreaterThanOrEqual(reasons.count, 2, "\(device) keeps retrying with the faulty token")
            for reason in reasons {
                XCTAssertTrue(reason.hasPrefix("CONNACK refused: Bad User Name or Password (0x86) — "), reason)
                XCTAssertTrue(reason.contains(expected), "\(device): \(reason)")
            }
            XCTAssertTrue(credentials.reasons[device]?.contains(expected) == true,
                          "\(device)'s entry in the report: \(credentials.reasons[device] ?? "none")")
        }
        // expired-token and wrong-key last to the end; other-device lasts 8 s, after which the devices come back.
        for device in ["sas-fault-01", "sas-fault-02", "sas-fault-03", "sas-fault-04"] {
            XCTAssertNil(connectedAfterFault[device], device)
        }
        for device in ["sas-fault-05", "sas-fault-06"] {
            XCTAssertEqual(connectedAfterFault[device], 1, "\(device) reconnects once its fault ends")
        }
        XCTAssertEqual(report.connections.connectedAtEnd, 7)

        for step in StepFaults.compare(plan: plan, events: events) {
            XCTAssertEqual(step.kind, .sasFault)
            XCTAssertEqual(step.logged, step.expected, "step at line \(step.step.location.line): its selected devices, once each")
        }
        // Keys and tokens are secrets: nothing the run wrote contains one.
        for file in [run.ledger, run.base + ".json", run.base + ".html", run.base + ".txt"] {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            XCTAssertFalse(text.contains("SharedAccessSignature"), file)
            XCTAssertFalse(text.contains("BAGFFefmk2G0SQizSjQx2alRTwl"), file)
        }
        XCTAssertTrue(run.outcome.output.contains("SAS token renewals 18"), run.outcome.output)
    }

    /// Each `tokenRenewed` comes `every` after the connect before it (give or take a scheduling tick), and is
    /// followed by a graceful end and an accepted connect.
    private func checkRenewalTiming(_ events: [RunEvent], device: String, every: Duration) throws {
        let mine = events.filter { $0.device == device }
        var lastConnected: UInt64?
        var sawRenewal = false
        for (index, event) in mine.enumerated() {
            switch event.kind {
            case .connected:
                lastConnected = event.at
            case .tokenRenewed:
                let connected = try XCTUnwrap(lastConnected)
                let elapsed = Double(event.at - connected) / 1e9
                XCTAssertEqual(elapsed, Double(every.components.seconds), accuracy: 0.5, "\(device) renewal after \(elapsed) s")
                let rest = mine[(index + 1)...]
                let ending = rest.first { if case .disconnected = $0.kind { true } else { false } }
                guard case .disconnected(.graceful, _)? = ending?.kind else {
                    return XCTFail("\(device): a renewal ends the connection gracefully, got \(String(describing: ending))")
                }
                sawRenewal = true
            default:
                continue
            }
        }
        XCTAssertTrue(sawRenewal, device)
    }
}
