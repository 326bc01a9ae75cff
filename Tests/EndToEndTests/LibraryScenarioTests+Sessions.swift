import Ledger
import Verification
import XCTest

/// The library's persistent-session files (both brokers) and `receive-maximum-respected` (its lab profile file).
/// Besides their verdicts: the stalls before each cut really left publishes in flight, so "nothing lost" means the
/// client resent them, and each cut device found its session again.
extension LibraryScenarioTests {
    func testPersistentSessionResumeOnMosquitto() throws { try checkSessionsCarried(play()) }
    func testPersistentSessionResumeOnLabBroker() throws { try checkSessionsCarried(play()) }
    func testQos2ExactlyOnceAcrossReconnectsOnMosquitto() throws { try checkSessionsCarried(play()) }
    func testQos2ExactlyOnceAcrossReconnectsOnLabBroker() throws { try checkSessionsCarried(play()) }
    func testReceiveMaximumRespected() throws { try checkEveryBurstAcknowledged(play()) }

    private func checkSessionsCarried(_ run: FleetBinary.Run, file: StaticString = #filePath, line: UInt = #line) throws {
        let events = try run.events()
        var cut: Set<String> = []
        var resumedAfterCut: Set<String> = []
        var resent = 0
        for event in events {
            guard let device = event.device else { continue }
            switch event.kind {
            case .faultInjected(.abrupt, _, _, _, _, _, _, _):
                cut.insert(device)
            case .connected(_, _, _, _, let sessionPresent) where sessionPresent && cut.contains(device):
                resumedAfterCut.insert(device)
            case .sessionCarried(let count, let abandoned):
                XCTAssertEqual(abandoned, 0, "\(device): the broker kept the session, so nothing is abandoned",
                               file: file, line: line)
                resent += count
            default:
                break
            }
        }
        XCTAssertFalse(cut.isEmpty, file: file, line: line)
        XCTAssertEqual(resumedAfterCut, cut, "every cut device reconnected to its session", file: file, line: line)
        XCTAssertGreaterThan(resent, 0, "the stalls left publishes in flight at the cuts, and they were resent",
                             file: file, line: line)
        let total = try run.report().telemetry.total
        XCTAssertEqual(total.lost, 0, file: file, line: line)
        XCTAssertEqual(total.unique, total.sent, "every message sent reached the observers", file: file, line: line)
    }

    private func checkEveryBurstAcknowledged(_ run: FleetBinary.Run, file: StaticString = #filePath,
                                             line: UInt = #line) throws {
        var acknowledged: [String: UInt64] = [:]
        var sent: [String: UInt64] = [:]
        for event in try run.events() {
            if case .telemetrySummary(let count, let acked, _) = event.kind, let device = event.device {
                sent[device, default: 0] += count
                acknowledged[device, default: 0] += acked
            }
        }
        XCTAssertEqual(sent.count, 10, "every device reported its tally", file: file, line: line)
        for (device, count) in sent {
            // Two bursts of 20 on top of the steady stream, through a window of two.
            XCTAssertGreaterThan(count, 40, device, file: file, line: line)
            XCTAssertEqual(acknowledged[device], count, "\(device): every reading acknowledged", file: file, line: line)
        }
        let total = try run.report().telemetry.total
        XCTAssertEqual(total.unique, total.sent, file: file, line: line)
    }
}
