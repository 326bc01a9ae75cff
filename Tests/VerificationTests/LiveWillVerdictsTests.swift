import Ledger
import Synchronization
import Verification
import XCTest

/// The live counts move as the run goes and end where the final judgement does.
final class LiveWillVerdictsTests: XCTestCase {
    private let rules = WillRules(graceNs: 2 * Fixtures.second, planned: [
        "dev-01": PlannedWill(hasWill: true, keepAliveSeconds: 10),
        "dev-02": PlannedWill(hasWill: true, keepAliveSeconds: 10),
        "dev-03": PlannedWill(hasWill: true, keepAliveSeconds: 10),
    ])

    func testEndingsArePendingUntilTheirWillOrDeadline() {
        let ledger = RunEventCollector()
        let live = LiveWillVerdicts(rules: rules, forwardingTo: ledger)
        for device in ["dev-01", "dev-02", "dev-03"] { live.record(Fixtures.connected(Fixtures.s(0.1), device)) }
        XCTAssertEqual(live.counts(at: Fixtures.s(1)), [:], "connected devices have no verdict")

        live.record(Fixtures.fault(Fixtures.s(2), "dev-01", .abrupt))
        live.record(Fixtures.fault(Fixtures.s(2), "dev-02", .abrupt))
        live.record(Fixtures.fault(Fixtures.s(2), "dev-03", .graceful, expectWill: false))
        XCTAssertEqual(live.counts(at: Fixtures.s(2.5)), [.undecided: 2, .absent: 1])

        live.record(Fixtures.will(Fixtures.s(2.2), "dev-01"))
        XCTAssertEqual(live.counts(at: Fixtures.s(3)), [.delivered: 1, .undecided: 1, .absent: 1])
        XCTAssertEqual(live.counts(at: Fixtures.s(3.5)), [.delivered: 1, .undecided: 1, .absent: 1], "nothing new, same counts")

        // No news for dev-02, but its deadline (2 s + 2 s grace) passes: it is re-judged all the same.
        XCTAssertEqual(live.counts(at: Fixtures.s(4.5)), [.delivered: 1, .missing: 1, .absent: 1])

        live.record(RunEvent(at: Fixtures.s(4.5), kind: .runEnded(reason: .completed)))
        XCTAssertEqual(ledger.events.count, 8, "every event reaches the ledger")
        let final = WillVerdicts.judge(ledger.events, rules: rules)
        XCTAssertEqual(Dictionary(final.map { ($0.judgement, 1) }, uniquingKeysWith: +),
                       [.delivered: 1, .missing: 1, .absent: 1], "the final judgement agrees")
    }

    func testEventsThatDecideNoWillArePassedOnButNotKept() {
        let ledger = RunEventCollector()
        let live = LiveWillVerdicts(rules: rules, forwardingTo: ledger)
        live.record(RunEvent(at: 1, kind: .runStarted(scenario: "s", seed: 1, devices: 1)))
        live.record(Fixtures.event(2, "dev-01", .connecting(attempt: 1)))
        XCTAssertEqual(ledger.events.count, 2)
        XCTAssertEqual(live.counts(at: Fixtures.s(60)), [:])
    }

    func testAWillWithNoEndingIsUnexpectedAtOnce() {
        let live = LiveWillVerdicts(rules: rules, forwardingTo: RunEventCollector())
        live.record(Fixtures.connected(Fixtures.s(0.1), "dev-01"))
        live.record(Fixtures.will(Fixtures.s(1), "dev-01"))
        XCTAssertEqual(live.counts(at: Fixtures.s(1.1)), [.unexpected: 1])
    }

    /// With `--metrics`, each will's delay reaches Prometheus once, when a poll first judges it, whatever
    /// the number of polls, and a later ending's will adds its own.
    func testEachWillDelayIsGivenOnce() {
        final class Delays: Sendable { let values = Mutex<[UInt64]>([]) }
        let given = Delays()
        let live = LiveWillVerdicts(rules: rules, forwardingTo: RunEventCollector()) { delay in
            given.values.withLock { $0.append(delay) }
        }
        live.record(Fixtures.connected(Fixtures.s(0.1), "dev-01"))
        live.record(Fixtures.fault(Fixtures.s(2), "dev-01", .abrupt))
        _ = live.counts(at: Fixtures.s(2.1))
        XCTAssertEqual(given.values.withLock { $0 }, [], "no will yet")
        live.record(Fixtures.will(Fixtures.s(2.25), "dev-01"))
        for poll in [3.0, 3.5, 4.0] { _ = live.counts(at: Fixtures.s(poll)) }
        live.record(Fixtures.connected(Fixtures.s(5), "dev-01"))
        _ = live.counts(at: Fixtures.s(5.5))
        live.record(Fixtures.fault(Fixtures.s(6), "dev-01", .abrupt))
        live.record(Fixtures.will(Fixtures.s(6.5), "dev-01"))
        _ = live.counts(at: Fixtures.s(7))
        _ = live.counts(at: Fixtures.s(8))
        let delays = given.values.withLock { $0 }
        XCTAssertEqual(delays.count, 2, "\(delays)")
        XCTAssertEqual(delays.first.map { abs(Int64($0) - 250_000_000) < 50_000_000 }, true, "\(delays)")
    }
}
