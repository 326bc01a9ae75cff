import LabBroker
import NIOCore
import XCTest

final class AdmissionTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    private func at(_ seconds: Double) -> NIODeadline { start + .nanoseconds(Int64(seconds * 1e9)) }

    func testNoRulesAdmitEverythingAndTrackNothing() {
        var admission = ConnectAdmission(rules: ThrottleRules())
        for i in 0..<1000 {
            XCTAssertEqual(admission.admitConnect(clientID: "c\(i)", now: at(0)), .admit)
            XCTAssertTrue(admission.admitMessage(clientID: "c\(i)", now: at(0)))
            admission.recordFailure(clientID: "c\(i)", now: at(0))
        }
        XCTAssertEqual(admission.trackedClients, 0)
    }

    func testPerClientConnectRateSlidesOverOneSecond() {
        var admission = ConnectAdmission(rules: ThrottleRules(connectsPerClient: 2))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0.5)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0.9)), .rateExceeded)
        XCTAssertEqual(admission.admitConnect(clientID: "b", now: at(0.9)), .admit, "another client has its own window")
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0.999_999)), .rateExceeded)
        // The connect at 0 leaves the window at exactly 1 s; the one at 0.5 is still inside.
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(1.0)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(1.2)), .rateExceeded)
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(1.5)), .admit)
    }

    func testRefusedConnectsDoNotFillTheWindow() {
        var admission = ConnectAdmission(rules: ThrottleRules(connectsPerClient: 1))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0)), .admit)
        for step in 1...9 {
            XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(Double(step) / 10)), .rateExceeded)
        }
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(1)), .admit)
    }

    func testTotalConnectRateAcrossClients() {
        var admission = ConnectAdmission(rules: ThrottleRules(connectsTotal: 3))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "b", now: at(0.1)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "c", now: at(0.2)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "d", now: at(0.3)), .rateExceeded)
        XCTAssertEqual(admission.admitConnect(clientID: "d", now: at(1.0)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "e", now: at(1.05)), .rateExceeded)
        XCTAssertEqual(admission.trackedClients, 0, "a total rate needs no per-client entry")
    }

    func testAClientRefusedByItsOwnRateDoesNotUseTheTotal() {
        var admission = ConnectAdmission(rules: ThrottleRules(connectsPerClient: 1, connectsTotal: 2))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(0.1)), .rateExceeded)
        XCTAssertEqual(admission.admitConnect(clientID: "b", now: at(0.2)), .admit)
        XCTAssertEqual(admission.admitConnect(clientID: "c", now: at(0.3)), .rateExceeded, "total of 2 used by a and b")
    }

    func testMessageRatePerClient() {
        var admission = ConnectAdmission(rules: ThrottleRules(messagesPerClient: 100))
        for i in 0..<100 {
            XCTAssertTrue(admission.admitMessage(clientID: "a", now: at(Double(i) / 200)), "message \(i)")
        }
        XCTAssertFalse(admission.admitMessage(clientID: "a", now: at(0.5)))
        XCTAssertTrue(admission.admitMessage(clientID: "b", now: at(0.5)))
        XCTAssertFalse(admission.admitMessage(clientID: "a", now: at(0.999)))
        XCTAssertTrue(admission.admitMessage(clientID: "a", now: at(1.0)), "the first message left the window")
        XCTAssertFalse(admission.admitMessage(clientID: "a", now: at(1.0)), "the second is still inside")
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(1.0)), .admit, "messages do not limit connects")
    }

    func testLockoutAfterFailuresInTheWindowAndItsExpiry() {
        let lockout = ThrottleRules.Lockout(failures: 5, windowSeconds: 60, durationSeconds: 600)
        var admission = ConnectAdmission(rules: ThrottleRules(lockout: lockout))
        for i in 0..<4 {
            XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(Double(i) * 10)), .admit)
            admission.recordFailure(clientID: "a", now: at(Double(i) * 10))
        }
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(45)), .admit, "four failures are not enough")
        admission.recordFailure(clientID: "a", now: at(45))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(46)), .lockedOut(until: at(645)))
        XCTAssertEqual(admission.admitConnect(clientID: "b", now: at(46)), .admit, "only that client ID is locked")
        // Failures during the lockout (the engine reports its own refusals) neither extend nor re-arm it.
        for i in 0..<10 { admission.recordFailure(clientID: "a", now: at(100 + Double(i))) }
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(644.999)), .lockedOut(until: at(645)))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(645)), .admit)
        admission.recordFailure(clientID: "a", now: at(646))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(647)), .admit, "the count starts again")
    }

    func testFailuresOutsideTheWindowDoNotLockOut() {
        let lockout = ThrottleRules.Lockout(failures: 3, windowSeconds: 10, durationSeconds: 100)
        var admission = ConnectAdmission(rules: ThrottleRules(lockout: lockout))
        for i in 0..<10 {
            admission.recordFailure(clientID: "a", now: at(Double(i) * 5))
            XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(Double(i) * 5 + 0.1)), .admit, "failure \(i)")
        }
        admission.recordFailure(clientID: "a", now: at(47))
        XCTAssertEqual(admission.admitConnect(clientID: "a", now: at(47)), .lockedOut(until: at(147)),
                       "failures at 45, 45 and 47 fall within 10 s")
    }

    func testIdleClientsAreForgotten() {
        let lockout = ThrottleRules.Lockout(failures: 2, windowSeconds: 30, durationSeconds: 100)
        var admission = ConnectAdmission(rules: ThrottleRules(connectsPerClient: 1, messagesPerClient: 10, lockout: lockout))
        for i in 0..<50 { XCTAssertEqual(admission.admitConnect(clientID: "c\(i)", now: at(0)), .admit) }
        admission.recordFailure(clientID: "failing", now: at(0))
        admission.recordFailure(clientID: "locked", now: at(0))
        admission.recordFailure(clientID: "locked", now: at(0))
        XCTAssertEqual(admission.trackedClients, 52)
        // One connected client keeps talking.
        for t in stride(from: 0.5, through: 99, by: 0.5) { _ = admission.admitMessage(clientID: "c0", now: at(t)) }
        XCTAssertEqual(admission.trackedClients, 2, "c0 talks, and the lockout of `locked` runs until 100 s")
        XCTAssertEqual(admission.admitConnect(clientID: "locked", now: at(99)), .lockedOut(until: at(100)))
        for t in stride(from: 99.5, through: 200, by: 0.5) { _ = admission.admitMessage(clientID: "c0", now: at(t)) }
        XCTAssertEqual(admission.trackedClients, 1, "only c0 has recent messages at 200 s")
    }

    func testLockedClientsSurviveIdleCleanupUntilTheirLockoutEnds() {
        let lockout = ThrottleRules.Lockout(failures: 1, windowSeconds: 1, durationSeconds: 100)
        var admission = ConnectAdmission(rules: ThrottleRules(lockout: lockout))
        admission.recordFailure(clientID: "locked", now: at(0))
        for i in 0..<200 { _ = admission.admitConnect(clientID: "other\(i)", now: at(Double(i) / 2)) }
        XCTAssertEqual(admission.admitConnect(clientID: "locked", now: at(99.9)), .lockedOut(until: at(100)))
        _ = admission.admitConnect(clientID: "x", now: at(101))
        XCTAssertEqual(admission.trackedClients, 1, "x only; the lock and every idle entry are gone")
    }

    func testTheTableIsBoundedUnderAStormOfDistinctClientIDs() {
        let lockout = ThrottleRules.Lockout(failures: 5, windowSeconds: 60, durationSeconds: 600)
        var admission = ConnectAdmission(rules: ThrottleRules(connectsPerClient: 1, messagesPerClient: 5, lockout: lockout),
                                         maximumTrackedClients: 100)
        XCTAssertEqual(admission.admitConnect(clientID: "legit", now: at(0)), .admit)
        var refused = 0
        for i in 0..<10_000 {
            let id = "storm-\(i)"
            if admission.admitConnect(clientID: id, now: at(0.5)) == .rateExceeded { refused += 1 }
            admission.recordFailure(clientID: id, now: at(0.5))
        }
        XCTAssertEqual(admission.trackedClients, 100)
        XCTAssertEqual(refused, 10_000 - 99, "past the cap a new client ID is refused")
        XCTAssertTrue(admission.admitMessage(clientID: "legit", now: at(0.6)), "a tracked client keeps its rate")
        XCTAssertTrue(admission.admitMessage(clientID: "untracked", now: at(0.6)), "admitted uncounted past the cap")
        // Failure windows of the storm last 60 s; then the table empties and new clients are tracked again.
        XCTAssertEqual(admission.admitConnect(clientID: "late", now: at(61)), .admit)
        XCTAssertEqual(admission.trackedClients, 1)
        XCTAssertEqual(admission.admitConnect(clientID: "late", now: at(61.5)), .rateExceeded)
    }
}

final class AdmissionRuleValueTests: XCTestCase {
    func testAbsurdLockoutValuesAreClampedNotACrash() {
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for seconds in [Double.infinity, .nan, -5, 1e300] {
            var admission = ConnectAdmission(rules: ThrottleRules(
                lockout: ThrottleRules.Lockout(failures: 1, windowSeconds: seconds, durationSeconds: seconds)))
            admission.recordFailure(clientID: "a", now: now)
            let decision = admission.admitConnect(clientID: "a", now: now)
            if seconds > 0 && seconds.isFinite {
                XCTAssertEqual(decision, .lockedOut(until: now + .seconds(1_000_000_000)), "\(seconds)")
            } else {
                XCTAssertEqual(decision, .admit, "\(seconds): a lockout of no length")
            }
        }
    }
}
