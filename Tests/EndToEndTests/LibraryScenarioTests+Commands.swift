import Ledger
import Verification
import XCTest

/// `configuration-push-acknowledged`: the devices' `respond:` rule on both brokers.
extension LibraryScenarioTests {
    func testConfigurationPushAcknowledgedOnMosquitto() throws { try checkPushesAcknowledged(play()) }
    func testConfigurationPushAcknowledgedOnLabBroker() throws { try checkPushesAcknowledged(play()) }

    /// Each push reaches the devices online at the time and each of those acknowledges it once, at least the
    /// firmware's 200 ms later; the two devices cut off during the first push never see it (clean sessions).
    private func checkPushesAcknowledged(_ run: FleetBinary.Run, file: StaticString = #filePath, line: UInt = #line) throws {
        let events = try run.events()
        let pushes = events.filter { if case .faultInjected(.publish, _, _, _, _, _, _, _) = $0.kind { true } else { false } }
        XCTAssertEqual(pushes.count, 20, "two pushes to the ten devices", file: file, line: line)
        let secondPushAt = try XCTUnwrap(pushes.map(\.at).max(), file: file, line: line)
        let replies = events.filter { if case .replyReceived = $0.kind { true } else { false } }
        let devices = (1...10).map { String(format: "cfg-%02d", $0) }
        let offline: Set = ["cfg-03", "cfg-07"]
        XCTAssertEqual(replies.filter { $0.at < secondPushAt }.compactMap(\.device).sorted(),
                       devices.filter { !offline.contains($0) }, "the first push is acknowledged by the devices online",
                       file: file, line: line)
        XCTAssertEqual(replies.filter { $0.at >= secondPushAt }.compactMap(\.device).sorted(), devices,
                       "the second push by every device", file: file, line: line)
        let roundTrip = try XCTUnwrap(try run.report().latency.first { $0.phase == .commandReply }, file: file, line: line)
        XCTAssertEqual(roundTrip.summary.count, 18, "one command → reply sample per acknowledgement", file: file, line: line)
        XCTAssertGreaterThanOrEqual(roundTrip.summary.p50Ns, 199_800_000, "the firmware takes 200 ms (HDR: 3 digits)",
                                    file: file, line: line)
    }
}
