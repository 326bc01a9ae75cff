import Ledger
import Verification
import XCTest

final class RetainedStatusTests: XCTestCase {
    private typealias F = Fixtures
    private let words = StatusVocabulary(online: "online", onlineRetained: true, offline: "offline", offlineRetained: true)

    private func check(_ events: [RunEvent], asOf: UInt64? = nil) -> [String: StatusCheck.Result] {
        let vocabulary = Dictionary(uniqueKeysWithValues: ["dev-01", "dev-02", "dev-03"].map { ($0, words) })
        let checks = RetainedStatusCheck.check(events, vocabulary: vocabulary, rules: WillRules(), asOf: asOf)
        return Dictionary(uniqueKeysWithValues: checks.map { ($0.device, $0.result) })
    }

    func testStatusMatchingStateIsFine() {
        let results = check([
            F.connected(F.s(1), "dev-01"), F.status(F.s(1.1), "dev-01", "online"),
            F.connected(F.s(1), "dev-02"), F.status(F.s(1.1), "dev-02", "online"),
            F.fault(F.s(5), "dev-02", .abrupt), F.will(F.s(5.2), "dev-02"),
            F.end(F.s(20)),
        ])
        XCTAssertEqual(results, ["dev-01": .matches, "dev-02": .matches])
    }

    func testOfflineDeviceStillShownOnlineFails() {
        // Abrupt loss, and the broker never published the will: the dashboard lies.
        let results = check([
            F.connected(F.s(1), "dev-01"), F.status(F.s(1.1), "dev-01", "online"),
            F.fault(F.s(5), "dev-01", .abrupt),
            F.end(F.s(20)),
        ])
        XCTAssertEqual(results["dev-01"], .offlineButOnline)
    }

    func testOnlineDeviceShownOfflineFails() {
        // The device came back but its birth was never re-published after the will.
        let results = check([
            F.connected(F.s(1), "dev-01"), F.status(F.s(1.1), "dev-01", "online"),
            F.fault(F.s(5), "dev-01", .abrupt), F.will(F.s(5.1), "dev-01"),
            F.connected(F.s(8), "dev-01"),
            F.end(F.s(20)),
        ])
        XCTAssertEqual(results["dev-01"], .onlineButOffline)
    }

    func testConnectedDeviceWithoutAnyStatusFails() {
        XCTAssertEqual(check([F.connected(F.s(1), "dev-01"), F.end(F.s(20))])["dev-01"], .missing)
    }

    func testCheckHappensAtTheStopStepAndLateWillsStillCount() {
        let results = check([
            F.connected(F.s(1), "dev-01"), F.status(F.s(1.1), "dev-01", "online"),
            F.connected(F.s(1), "dev-02"), F.status(F.s(1.1), "dev-02", "online"),
            F.fault(F.s(9.5), "dev-02", .abrupt),
            F.event(F.s(10), nil, .timelineStep(index: 3, action: "stop", line: 20)),
            F.will(F.s(10.3), "dev-02"),
            F.disconnected(F.s(10.5), "dev-01", .graceful),
            F.end(F.s(12)),
        ])
        XCTAssertEqual(results, ["dev-01": .matches, "dev-02": .matches])
    }

    func testRetainedSnapshotAfterTheCutoffWins() {
        let results = check([
            F.connected(F.s(1), "dev-01"), F.status(F.s(1.1), "dev-01", "online"),
            F.status(F.s(15), "dev-01", "offline", retained: true),
            F.end(F.s(20)),
        ], asOf: F.s(10))
        XCTAssertEqual(results["dev-01"], .onlineButOffline)
    }
}
