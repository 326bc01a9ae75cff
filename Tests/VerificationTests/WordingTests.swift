import Ledger
import Reports
import Scenario
import Verification
import XCTest

/// The plain words people read: no internal case names, and counts that agree with their nouns.
final class WordingTests: XCTestCase {
    func testEndingsAndCausesReadAsWords() {
        XCTAssertEqual(Wording.ending(.gracefulWithWill), "graceful with will")
        XCTAssertEqual(Wording.ending(.takeover), "takeover")
        XCTAssertEqual(Wording.cause(.takenOver), "taken over")
        XCTAssertEqual(Wording.cause(key: "gracefulWithWill"), "graceful with will")
        XCTAssertEqual(Wording.cause(key: "serverDisconnect"), "closed by the broker")
        XCTAssertEqual(Wording.fault(key: "impostorStarted"), "impostor")
        XCTAssertEqual(Wording.fault(key: "no-such-fault"), "no-such-fault", "unknown keys pass through")
        XCTAssertEqual(Wording.judgement(key: "undecided"), "pending")
    }

    func testNoWordingIsACaseName() {
        let camelCase = /\b[a-z]+[A-Z]/
        let words = EndingKind.allCases.map(Wording.ending) + WillJudgement.allCases.map(Wording.judgement)
            + FaultKind.allCases.map(Wording.fault) + DisconnectCause.allCases.map(Wording.cause)
            + WillOutcome.allCases.map(Wording.outcome)
        for word in words { XCTAssertNil(word.firstMatch(of: camelCase), word) }
    }

    /// The HTML report's expectation table reads like the summary: defaults marked, nothing to judge not a pass.
    func testExpectationsReadTheSameInEveryReport() {
        let idle = ExpectationResult(name: "wills.silent", expected: "delivered", actual: "no silent endings injected",
                                     passed: true, isDefault: true, exercised: false)
        XCTAssertEqual(Wording.expected(idle), "delivered (default)")
        XCTAssertEqual(Wording.outcome(idle), "not exercised")
        XCTAssertEqual(Wording.outcome(ExpectationResult(name: "x", expected: "≤ 1", actual: "2", passed: false)), "FAIL")
        let html = HTMLReport.render(SyntheticRun.report())
        XCTAssertTrue(html.contains("<td>wills.silent</td><td>delivered (default)</td><td>no silent endings injected</td>"
            + "<td class=\"idle\">not exercised</td>"), html)
        XCTAssertTrue(html.contains("<td class=\"fail\">FAIL</td>"))
    }

    func testCountsAgreeWithTheirNoun() {
        XCTAssertEqual(Wording.count(1, "device"), "1 device")
        XCTAssertEqual(Wording.count(2, "device"), "2 devices")
        XCTAssertEqual(Wording.count(0, "device"), "0 devices")
        XCTAssertEqual(Wording.count(UInt64(1), "attempt"), "1 attempt")
        XCTAssertEqual(Wording.count(3, "fault kind", plural: "fault kinds"), "3 fault kinds")
    }
}
