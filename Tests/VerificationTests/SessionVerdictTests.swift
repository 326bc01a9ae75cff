import Foundation
import Ledger
import Scenario
import Verification
import XCTest

/// Verdicts for persistent sessions, on hand-built ledgers: wills at the earlier of will delay and session
/// expiry, sessions the broker lost, and the delivery of messages queued for offline devices.
final class SessionVerdictTests: XCTestCase {
    private typealias F = Fixtures

    // MARK: Wills under a session expiry

    private func willJudgement(willDelay: UInt32, sessionExpiry: UInt32?, willAt: Double?) -> WillJudgement? {
        var events = [
            F.connected(F.s(1), "dev-01"),
            F.event(F.s(10), "dev-01", .faultInjected(fault: .abrupt, lastPacketAt: F.s(10), keepAlive: 10,
                                                      willDelay: willDelay, expectWill: true, sessionExpiry: sessionExpiry)),
            F.disconnected(F.s(10), "dev-01", .abrupt),
        ]
        if let willAt { events.append(F.will(F.s(willAt), "dev-01")) }
        events.append(F.end(F.s(120)))
        return WillVerdicts.judge(events, rules: WillRules(graceNs: 2 * F.second)).first?.judgement
    }

    func testTheWillIsDueWhenTheSessionEndsBeforeItsDelay() {
        // Will delay 30 s, session expiry 5 s: due at 15 s, deadline 17 s.
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 5, willAt: 15.2), .delivered)
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 5, willAt: 40.1), .late,
                       "the will delay no longer applies once the session has ended")
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 5, willAt: 12), .early)
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 5, willAt: nil), .missing)
    }

    func testASessionEndingWithTheConnectionSendsTheWillAtOnce() {
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 0, willAt: 10.1), .delivered)
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 0, willAt: 40.1), .late)
    }

    func testALongerSessionLeavesTheWillDelayInCharge() {
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 3600, willAt: 40.5), .delivered)
        XCTAssertEqual(willJudgement(willDelay: 30, sessionExpiry: 3600, willAt: 15), .early)
        // MQTT 3.1.1 (no session expiry recorded) keeps the recorded delay, 0 there.
        XCTAssertEqual(willJudgement(willDelay: 0, sessionExpiry: nil, willAt: 10.3), .delivered)
    }

    func testAReconnectCancelsTheWillOnlyBeforeTheSessionEnds() {
        func verdict(sessionExpiry: UInt32, backAt: Double) -> WillJudgement? {
            WillVerdicts.judge([
                F.connected(F.s(1), "dev-01"),
                F.event(F.s(10), "dev-01", .faultInjected(fault: .abrupt, lastPacketAt: F.s(10), keepAlive: 10,
                                                          willDelay: 30, expectWill: true, sessionExpiry: sessionExpiry)),
                F.connected(F.s(backAt), "dev-01"),
                F.end(F.s(120)),
            ], rules: WillRules(graceNs: 2 * F.second)).first?.judgement
        }
        XCTAssertEqual(verdict(sessionExpiry: 60, backAt: 20), .absent, "back within the will delay: no will")
        XCTAssertEqual(verdict(sessionExpiry: 5, backAt: 20), .missing, "the session had ended at 15 s, and its will was due")
    }

    func testThePlanSuppliesTheSessionExpiryOfOldLedgers() throws {
        var group = F.group(count: 1, telemetry: false, birth: false)
        group.will?.delay = .seconds(30)
        group.sessionExpiry = .seconds(5)
        let rules = WillRules(F.plan([group]))
        XCTAssertEqual(rules.planned["dev-01"]?.sessionExpirySeconds, 5)
        let verdicts = WillVerdicts.judge([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(10), "dev-01", .abrupt, willDelay: 30),
            F.will(F.s(15.5), "dev-01"),
            F.end(F.s(60)),
        ], rules: rules)
        XCTAssertEqual(verdicts.map(\.judgement), [.delivered])
        group.sessionExpiry = nil
        XCTAssertEqual(WillRules(F.plan([group])).planned["dev-01"]?.sessionExpirySeconds, 0,
                       "an MQTT 5 CONNECT without a session expiry ends the session with the connection")
    }

    // MARK: Lost sessions

    private func persistentGroup(count: Int, expiry: Duration? = .seconds(60)) -> DeviceGroupPlan {
        var group = F.group(count: count, telemetry: false, will: false, birth: false)
        group.cleanStart = false
        group.sessionExpiry = expiry
        return group
    }

    private func report(_ groups: [DeviceGroupPlan], _ expectations: Expectations, _ middle: [RunEvent]) -> RunReport {
        let events = [F.event(0, nil, .runStarted(scenario: "synthetic", seed: 7, devices: 3))] + middle + [F.end(F.s(60))]
        return RunAnalysis.report(RunAnalysis.Inputs(plan: F.plan(groups, expectations: expectations), events: events,
                                                     observers: ObserverSink.merged([])))
    }

    private func result(_ report: RunReport, _ name: String) throws -> ExpectationResult {
        try XCTUnwrap(report.expectations.first { $0.name == name }, "no expectation \(name)")
    }

    private static func back(_ at: Double, _ device: String, sessionPresent: Bool) -> RunEvent {
        F.event(F.s(at), device, .connected(tcpNs: 1, tlsNs: nil, connackNs: 1, sessionPresent: sessionPresent))
    }

    func testLostSessionsCountsPersistentDevicesThatCameBackToNoSession() throws {
        let events = [
            F.connected(F.s(1), "dev-01"), F.connected(F.s(1), "dev-02"), F.connected(F.s(1), "dev-03"),
            F.fault(F.s(4), "dev-01", .abrupt), F.disconnected(F.s(4), "dev-01", .abrupt),
            Self.back(18, "dev-01", sessionPresent: false),
            F.fault(F.s(4), "dev-02", .abrupt),
            Self.back(18, "dev-02", sessionPresent: true),
            // Away longer than its 60 s session expiry: no session is the broker's right.
            F.disconnected(F.s(5), "dev-03", .networkError),
            Self.back(70, "dev-03", sessionPresent: false),
        ]
        let lost = try result(report([persistentGroup(count: 3)], Expectations(lostSessions: .exactly(1)), events),
                              "lost-sessions")
        XCTAssertTrue(lost.passed, lost.failure)
        let none = try result(report([persistentGroup(count: 3)], Expectations(lostSessions: .exactly(0)), events),
                              "lost-sessions")
        XCTAssertFalse(none.passed)
        XCTAssertEqual(none.failure, "1 of 3 devices came back within their session expiry and found no session, expected exactly 0: "
            + "dev-01 (session present 0 on the reconnect at 18.000s, 14.000s after its connection ended, "
            + "within its session expiry of 60 s)")
    }

    func testOnlyDevicesAskingForAPersistentSessionCanLoseOne() throws {
        let events = [
            F.connected(F.s(1), "dev-01"), F.fault(F.s(4), "dev-01", .abrupt), Self.back(6, "dev-01", sessionPresent: false),
        ]
        var clean = persistentGroup(count: 1)
        clean.cleanStart = true
        let expiringWithTheConnection = persistentGroup(count: 1, expiry: nil)
        for group in [clean, expiringWithTheConnection] {
            let lost = try result(report([group], Expectations(lostSessions: .exactly(0)), events), "lost-sessions")
            XCTAssertTrue(lost.passed, lost.failure)
        }
        XCTAssertFalse(try result(report([persistentGroup(count: 1)], Expectations(lostSessions: .exactly(0)), events),
                                  "lost-sessions").passed)
        let firstConnect = [F.connected(F.s(1), "dev-01")]
        XCTAssertTrue(try result(report([persistentGroup(count: 1)], Expectations(lostSessions: .exactly(0)), firstConnect),
                                 "lost-sessions").passed, "a first connection has no session to find")
    }

    // MARK: Queued delivery

    private static let topic = "devices/dev-01/configuration"

    private static func command(_ at: Double, _ payload: String, device: String = "dev-01", qos: UInt8 = 1) -> RunEvent {
        F.event(F.s(at), device, .faultInjected(
            fault: .publish, detail: "devices/\(device)/configuration",
            message: MessageFacts(qos: qos, retain: false, digest: MessageFacts.digest(Array(payload.utf8)))))
    }

    private static func received(_ at: Double, _ payload: String, device: String = "dev-01", retained: Bool = false) -> RunEvent {
        F.event(F.s(at), device, .messageReceived(
            topic: "devices/\(device)/configuration",
            message: MessageFacts(qos: 1, retain: retained, digest: MessageFacts.digest(Array(payload.utf8)))))
    }

    private static let away = [
        F.connected(F.s(1), "dev-01"),
        command(2, "live"), received(2.1, "live"),
        F.fault(F.s(4), "dev-01", .abrupt), F.disconnected(F.s(4), "dev-01", .abrupt),
        command(6, "a"), command(6.1, "b"), command(6.2, "c"),
    ]

    private func queued(_ afterReturn: [RunEvent], sessionPresent: Bool = true) -> [QueuedDeliveryVerdict] {
        var sessions: [String: PlannedSession] = [:]
        sessions["dev-01"] = PlannedSession(persistent: true, expirySeconds: 3600)
        return SessionVerdicts.queuedDelivery(Self.away + [Self.back(18, "dev-01", sessionPresent: sessionPresent)] + afterReturn,
                                              sessions: sessions)
    }

    func testQueuedMessagesDeliveredOnceInOrderAreComplete() throws {
        let verdicts = queued([Self.received(18.1, "a"), Self.received(18.2, "b"), Self.received(18.3, "c"),
                               Self.command(20, "a"), Self.received(20.1, "a")])
        let verdict = try XCTUnwrap(verdicts.first)
        XCTAssertEqual(verdicts.count, 1, "the live message before the spell is no spell of its own")
        XCTAssertEqual(verdict.judgement, .complete, verdict.reason)
        XCTAssertEqual(verdict.queued, 3)
        XCTAssertEqual(verdict.received, 3, "the live repeat of `a` after the return is not one of the queued")
        XCTAssertEqual(verdict.returnedAt, F.s(18))
    }

    func testAQueuedMessageThatNeverArrivesIsMissing() throws {
        let verdict = try XCTUnwrap(queued([Self.received(18.1, "a"), Self.received(18.3, "c")]).first)
        XCTAssertEqual(verdict.judgement, .missing)
        XCTAssertEqual(verdict.reason, "3 message(s) sent while offline from 4.000s; back at 18.000s with its session; 1 never arrived")
    }

    func testQueuedMessagesOutOfOrder() throws {
        let verdict = try XCTUnwrap(queued([Self.received(18.1, "a"), Self.received(18.2, "c"), Self.received(18.3, "b")]).first)
        XCTAssertEqual(verdict.judgement, .outOfOrder)
        XCTAssertTrue(verdict.reason.hasSuffix("message 2 arrived out of order"), verdict.reason)
    }

    func testAQueuedMessageDeliveredTwiceIsDuplicated() throws {
        let twice = [Self.received(18.1, "a"), Self.received(18.2, "b"), Self.received(18.2, "b"), Self.received(18.3, "c")]
        XCTAssertEqual(queued(twice).first?.judgement, .duplicated)
        // A retained copy comes from the broker's store on resubscribing, not from the queue.
        let retainedCopy = [Self.received(18.1, "a"), Self.received(18.2, "b"), Self.received(18.25, "b", retained: true),
                            Self.received(18.3, "c")]
        XCTAssertEqual(queued(retainedCopy).first?.judgement, .complete)
    }

    func testAnEndedSessionDeliversNothing() throws {
        XCTAssertEqual(queued([], sessionPresent: false).first?.judgement, .discarded)
        let anyway = try XCTUnwrap(queued([Self.received(18.1, "a")], sessionPresent: false).first)
        XCTAssertEqual(anyway.judgement, .unexpected)
        XCTAssertEqual(anyway.received, 1)
    }

    func testAMessageArrivingOverTheDyingConnectionCounts() throws {
        // A silent device is still connected as far as the broker knows: what it sends then arrives at once.
        var sessions: [String: PlannedSession] = [:]
        sessions["dev-01"] = PlannedSession(persistent: true)
        let verdicts = SessionVerdicts.queuedDelivery([
            F.connected(F.s(1), "dev-01"),
            F.fault(F.s(4), "dev-01", .silent, lastPacketAt: F.s(3)),
            Self.command(5, "a"), Self.received(5.1, "a"), Self.command(6, "b"),
            F.disconnected(F.s(19), "dev-01", .keepAliveTimeout),
            Self.back(20, "dev-01", sessionPresent: true), Self.received(20.1, "b"),
        ], sessions: sessions)
        XCTAssertEqual(verdicts.map(\.judgement), [.complete])
    }

    func testOnlyQoS1MessagesToPersistentDevicesAreJudged() {
        var sessions: [String: PlannedSession] = [:]
        let events = [
            F.connected(F.s(1), "dev-01"), F.fault(F.s(4), "dev-01", .abrupt), Self.command(6, "a", qos: 0),
            Self.back(18, "dev-01", sessionPresent: true),
        ]
        sessions["dev-01"] = PlannedSession(persistent: true)
        XCTAssertTrue(SessionVerdicts.queuedDelivery(events, sessions: sessions).isEmpty, "QoS 0 is not queued")
        sessions["dev-01"] = PlannedSession(persistent: false)
        XCTAssertTrue(SessionVerdicts.queuedDelivery(Self.away, sessions: sessions).isEmpty)
    }

    func testTheDeviceNotBackYetIsUndecided() {
        var sessions: [String: PlannedSession] = [:]
        sessions["dev-01"] = PlannedSession(persistent: true)
        XCTAssertEqual(SessionVerdicts.queuedDelivery(Self.away, sessions: sessions).map(\.judgement), [.undecided])
    }

    func testTheExpectationFailsOnAnyFailedSpellAndWhenNothingWasQueued() throws {
        let group = persistentGroup(count: 1)
        let expectations = Expectations(queuedDelivery: .complete)
        let complete = Self.away + [Self.back(18, "dev-01", sessionPresent: true),
                                    Self.received(18.1, "a"), Self.received(18.2, "b"), Self.received(18.3, "c")]
        let passing = try result(report([group], expectations, complete), "queued-delivery")
        XCTAssertTrue(passing.passed, passing.failure)
        XCTAssertEqual(passing.actual, "1 complete offline spell(s)")

        let short = Self.away + [Self.back(18, "dev-01", sessionPresent: true), Self.received(18.1, "a")]
        let failing = try result(report([group], expectations, short), "queued-delivery")
        XCTAssertFalse(failing.passed)
        XCTAssertEqual(failing.failure, "1 of 1 offline spells failed: dev-01 missing: 3 message(s) sent while offline "
            + "from 4.000s; back at 18.000s with its session; 2 never arrived")

        let nothing = try result(report([group], expectations, [F.connected(F.s(1), "dev-01")]), "queued-delivery")
        XCTAssertFalse(nothing.passed)
        XCTAssertEqual(nothing.actual, "nothing queued")
    }

    func testLedgerLinesOfTheNewFieldsRoundTripAndOldLinesStillDecode() throws {
        let old = #"{"at":1,"device":"dev-01","kind":{"faultInjected":{"fault":"abrupt","willDelay":30}}}"#
        let decoded = try JSONDecoder().decode(RunEvent.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.kind, .faultInjected(fault: .abrupt, willDelay: 30))
        for event in [Self.command(6, "a"), Self.received(7, "a"),
                      F.event(1, "dev-01", .faultInjected(fault: .abrupt, sessionExpiry: 0))] {
            let line = try JSONEncoder().encode(event)
            XCTAssertEqual(try JSONDecoder().decode(RunEvent.self, from: line), event)
        }
    }
}
