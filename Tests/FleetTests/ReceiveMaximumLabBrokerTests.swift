import Fleet
import Foundation
import LabBroker
import Ledger
import Scenario
import XCTest

/// The library's `receive-maximum-respected` devices against an in-process lab broker with the profile the file
/// names (Receive Maximum 2, Maximum Packet Size 256 B), judged by the broker itself: its statistics count every
/// client that sent a third unreleased QoS 2 PUBLISH or a packet over 256 bytes (`ViolationCounterTests` shows
/// they do), and here they must stay at zero while every burst is acknowledged.
final class ReceiveMaximumLabBrokerTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testBurstingDevicesNeverExceedTheAnnouncedReceiveMaximumOrPacketSize() async throws {
        let scenario = Self.repository.appendingPathComponent("Scenarios/receive-maximum-respected.yaml").path
        let yaml = try String(contentsOfFile: scenario, encoding: .utf8)
        let named = try ScenarioLoader.parse(yaml: yaml, path: scenario, options: .init(checkCertificateFiles: false))
        let profilePath = try XCTUnwrap(named.broker.lab, "the file names its lab profile")
        let profile = try ProfileLoader.load(path: Self.repository.appendingPathComponent(profilePath).path)
        XCTAssertEqual(profile.receiveMaximum, 2)
        XCTAssertEqual(profile.maximumPacketSize, 256)

        try await LabBrokerServer.withServer(profile: profile) { lab in
            let outcome = try FleetIntegrationTests.run(broker: lab.listeners[0].url, yaml)
            let statistics = await lab.statistics()
            XCTAssertEqual(statistics.receiveMaximumExceeded, 0, "a device had a third QoS 2 PUBLISH unreleased")
            XCTAssertEqual(statistics.packetsTooLarge, 0, "a device sent a packet over 256 bytes")

            let devices = outcome.plan.devices()
            XCTAssertEqual(outcome.counts.count, devices.count)
            // Two bursts of 20 on top of the steady stream: each device had far more to send than its window.
            let bursts = UInt64(2 * 20)
            for count in outcome.counts {
                XCTAssertGreaterThan(count.sent, bursts, count.clientID)
                XCTAssertEqual(count.acked, count.sent, "\(count.clientID): every reading acknowledged")
            }
            let sent = outcome.counts.reduce(0) { $0 + Int($1.sent) }
            XCTAssertEqual(statistics.publishesReceived, sent, "each reading reached the broker once")
            let endings = outcome.events.compactMap { event -> DisconnectCause? in
                if case .disconnected(let cause, _) = event.kind { cause } else { nil }
            }
            XCTAssertEqual(endings, Array(repeating: .graceful, count: devices.count), "only the stop ended a connection")
        }
    }
}
