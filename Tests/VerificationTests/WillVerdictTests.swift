import Ledger
import Verification
import XCTest

final class WillVerdictTests: XCTestCase {
    private typealias F = Fixtures
    private let rules = WillRules(graceNs: 2 * Fixtures.second, silentDetectionFactor: 1.5)

    private func judge(_ events: [RunEvent]) -> [WillVerdict] {
        WillVerdicts.judge(events, rules: rules)
    }

    func testAbruptWithWillOnTimeIsDeliveredWithLatency() throws {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(10), "dev-01", .abrupt),
            F.disconnected(F.s(10), "dev-01", .abrupt),
            F.will(F.s(10.25), "dev-01"),
            F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.count, 1)
        let verdict = try XCTUnwrap(verdicts.first)
        XCTAssertEqual(verdict.judgement, .delivered)
        XCTAssertEqual(verdict.ending, .abrupt)
        XCTAssertEqual(verdict.latencyNs, F.s(0.25))
        XCTAssertEqual(verdict.deadline, F.s(12))
    }

    func testAbruptWithoutWillIsMissing() {
        let verdicts = judge([F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt), F.end(F.s(30))])
        XCTAssertEqual(verdicts.map(\.judgement), [.missing])
    }

    func testRunEndingBeforeTheDeadlineIsUndecided() {
        let verdicts = judge([F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt), F.end(F.s(11))])
        XCTAssertEqual(verdicts.map(\.judgement), [.undecided])
    }

    func testWillAfterTheDeadlineIsLate() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt), F.will(F.s(12.5), "dev-01"), F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.late])
        XCTAssertEqual(verdicts.first?.latencyNs, F.s(2.5))
    }

    func testSilentDeadlineCountsFromLastPacketWithKeepAlive() {
        // Keep-alive 10 s: due 15 s after the last packet (at 8 s), deadline 25 s with grace.
        func verdict(willAt: Double) -> WillJudgement? {
            judge([
                F.connected(F.s(1), "dev-01"),
                F.fault(F.s(9), "dev-01", .silent, lastPacketAt: F.s(8), keepAlive: 10),
                F.will(F.s(willAt), "dev-01"),
                F.end(F.s(60)),
            ]).first?.judgement
        }
        XCTAssertEqual(verdict(willAt: 23), .delivered)
        XCTAssertEqual(verdict(willAt: 24.9), .delivered)
        XCTAssertEqual(verdict(willAt: 25.1), .late)
        let missing = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(9), "dev-01", .silent, lastPacketAt: F.s(8), keepAlive: 10),
            F.end(F.s(60)),
        ])
        XCTAssertEqual(missing.first?.deadline, F.s(25))
        XCTAssertEqual(missing.first?.judgement, .missing)
    }

    func testWillAfterGracefulDisconnectIsUnexpected() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(5), "dev-01", .graceful, expectWill: false),
            F.disconnected(F.s(5), "dev-01", .graceful),
            F.will(F.s(5.1), "dev-01"),
            F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.unexpected])
        XCTAssertEqual(verdicts.first?.ending, .graceful)
    }

    func testGracefulWithoutWillIsAbsent() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.disconnected(F.s(5), "dev-01", .graceful), F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.absent])
        XCTAssertEqual(verdicts.first?.ending, .graceful)
    }

    func testWillForAConnectedDeviceWithNoEndingIsUnexpected() {
        let verdicts = judge([F.connected(F.s(1), "dev-01"), F.will(F.s(3), "dev-01"), F.end(F.s(30))])
        XCTAssertEqual(verdicts.map(\.judgement), [.unexpected])
        XCTAssertNil(verdicts.first?.ending)
    }

    func testRetainedWillsPredateTheRunAndAreIgnored() {
        let verdicts = judge([F.will(F.s(0.1), "dev-01", retained: true), F.connected(F.s(1), "dev-01"), F.end(F.s(30))])
        XCTAssertEqual(verdicts, [])
    }

    func testTwoWillsForOneEndingAreDuplicated() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt),
            F.will(F.s(10.1), "dev-01"), F.will(F.s(10.2), "dev-01"), F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.duplicated])
        XCTAssertEqual(verdicts.first?.wills, 2)
    }

    func testWillDelayHoldsTheWillBackAndEarlyWillFails() {
        let early = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, willDelay: 5),
            F.will(F.s(11), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(early.map(\.judgement), [.early])
        let onTime = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, willDelay: 5),
            F.will(F.s(15.3), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(onTime.map(\.judgement), [.delivered])
        XCTAssertEqual(onTime.first?.deadline, F.s(17))
    }

    func testReconnectWithinWillDelayCancelsTheWill() {
        let quiet = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, willDelay: 5),
            F.connected(F.s(12), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(quiet.map(\.judgement), [.absent])
        XCTAssertTrue(quiet.first?.reason.contains("within its will delay") ?? false)
        let published = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, willDelay: 5),
            F.connected(F.s(12), "dev-01"), F.will(F.s(15), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(published.map(\.judgement), [.unexpected])
    }

    func testReconnectAfterTheWillDelayDoesNotCancel() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, willDelay: 5),
            F.connected(F.s(16), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.missing])
    }

    func testTakeoverCountsFromTheBrokerClosingTheOldConnection() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(20), "dev-01", .impostorStarted),
            F.disconnected(F.s(20.4), "dev-01", .takenOver),
            F.will(F.s(20.5), "dev-01"),
            F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered])
        XCTAssertEqual(verdicts.first?.ending, .takeover)
        XCTAssertEqual(verdicts.first?.endedAt, F.s(20.4))
        XCTAssertEqual(verdicts.first?.latencyNs, F.s(0.1))
    }

    /// The broker publishes a takeover's will when it accepts the impostor, which can be before the device
    /// sees its own connection close: with no will delay that is on time, not early.
    func testTakeoverWillBeforeTheDeviceSeesTheCloseIsDelivered() throws {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(20), "dev-01", .impostorStarted),
            F.will(F.s(20.3), "dev-01"),
            F.disconnected(F.s(20.4), "dev-01", .takenOver),
            F.end(F.s(60)),
        ])
        let verdict = try XCTUnwrap(verdicts.first)
        XCTAssertEqual(verdict.judgement, .delivered, verdict.reason)
        XCTAssertEqual(verdict.reason, "will 300.000 ms after the impostor started, 100.000 ms before the device saw its connection close")
        XCTAssertEqual(verdict.latencyNs, 0)
    }

    func testTakeoverWillBeforeItsWillDelayIsStillEarly() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(20), "dev-01", .impostorStarted, willDelay: 5),
            F.disconnected(F.s(20.1), "dev-01", .takenOver),
            F.will(F.s(21), "dev-01"),
            F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.early])
    }

    func testTakeoverWithWillDelayAndQuickReconnectExpectsNoWill() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(20), "dev-01", .impostorStarted, willDelay: 10),
            F.disconnected(F.s(20.1), "dev-01", .takenOver),
            F.connected(F.s(23), "dev-01"),
            F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.absent])
    }

    func testDeviceWithoutWillHasNoWillDue() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.fault(F.s(10), "dev-01", .abrupt, expectWill: false), F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.absent])
    }

    func testEachEndingIsJudgedSeparatelyAcrossReconnects() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(10), "dev-01", .abrupt), F.will(F.s(10.1), "dev-01"),
            F.connected(F.s(15), "dev-01"),
            F.fault(F.s(20), "dev-01", .abrupt),
            F.connected(F.s(25), "dev-01"),
            F.fault(F.s(30), "dev-01", .gracefulWithWill), F.will(F.s(30.05), "dev-01"),
            F.event(F.s(30.06), "dev-02", .connecting(attempt: 1)),
            F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered, .missing, .delivered])
        XCTAssertEqual(verdicts.map(\.ending), [.abrupt, .abrupt, .gracefulWithWill])
    }

    func testUnplannedDisconnectAllowsOneWill() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"), F.disconnected(F.s(5), "dev-01", .serverDisconnect),
            F.will(F.s(5.1), "dev-01"), F.end(F.s(60)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered])
        XCTAssertEqual(verdicts.first?.ending, .unplanned)
    }

    func testTakeoverUsesThePlannedWillWhenTheEventDoesNotSay() {
        var planned = rules
        planned.planned = ["dev-01": PlannedWill(hasWill: true, delaySeconds: 0, keepAliveSeconds: 10)]
        let events = [
            F.connected(F.s(1), "dev-01"),
            F.event(F.s(4), "dev-01", .faultInjected(fault: .impostorStarted, detail: "retries: forever")),
            F.disconnected(F.s(4.1), "dev-01", .takenOver),
            F.will(F.s(4.15), "dev-01"),
            F.connected(F.s(5), "dev-01"),         // kicks the impostor off: its will follows
            F.will(F.s(5.05), "dev-01"),
            F.disconnected(F.s(6.1), "dev-01", .takenOver), // the impostor is back
            F.end(F.s(60)),
        ]
        let verdicts = WillVerdicts.judge(events, rules: planned)
        XCTAssertEqual(verdicts.map(\.ending), [.takeover, .takeover])
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered, .missing])
        XCTAssertEqual(verdicts.first?.wills, 2)
        XCTAssertTrue(verdicts.first?.reason.contains("the impostor's own") ?? false)
        // Without the plan's facts no will is due.
        XCTAssertEqual(WillVerdicts.judge(Array(events.prefix(3)) + [F.end(F.s(60))], rules: rules).map(\.judgement), [.absent])
    }

    func testAbruptStopWithoutAFaultEventIsJudgedFromThePlan() {
        var planned = rules
        planned.planned = ["dev-01": PlannedWill(hasWill: true), "dev-02": PlannedWill(hasWill: true)]
        let verdicts = WillVerdicts.judge([
            F.connected(F.s(1), "dev-01"), F.connected(F.s(1), "dev-02"),
            F.event(F.s(10), nil, .timelineStep(index: 4, action: "stop", line: 30)),
            F.disconnected(F.s(10), "dev-01", .abrupt), F.disconnected(F.s(10), "dev-02", .abrupt),
            F.will(F.s(10.1), "dev-01"),
            F.end(F.s(20)),
        ], rules: planned)
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered, .missing])
        XCTAssertEqual(verdicts.map(\.ending), [.abrupt, .abrupt])
    }

    func testFaultOnADeviceThatIsDownEndsNothing() {
        let verdicts = judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(10), "dev-01", .abrupt),
            F.fault(F.s(10.5), "dev-01", .abrupt, expectWill: false), // already down: logged, ends nothing
            F.will(F.s(10.8), "dev-01"),
            F.end(F.s(30)),
        ])
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered])
    }
}
