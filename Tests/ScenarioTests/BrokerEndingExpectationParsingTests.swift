import Scenario
import XCTest

/// `expect: closed-by-broker` and `expect: resumed-sessions` take the same device counts as `connected-at-end`.
final class BrokerEndingExpectationParsingTests: XCTestCase {
    private func expectations(_ lines: String) throws -> Expectations {
        try loadPlan(scenario() + "expect:\n" + lines).expectations
    }

    func testBothCountsAreRead() throws {
        let read = try expectations("  closed-by-broker: { exactly: 3 }\n  resumed-sessions: { at-least: 1 }\n")
        XCTAssertEqual(read.closedByBroker, .exactly(3))
        XCTAssertEqual(read.resumedSessions, .atLeast(1))
        XCTAssertEqual(try expectations("  closed-by-broker: { percent: 20% }\n").closedByBroker, .percent(20))
        let absent = try expectations("  connected-at-end: { at-most: 2 }\n")
        XCTAssertNil(absent.closedByBroker)
        XCTAssertNil(absent.resumedSessions)
    }

    func testAMistakeNamesTheExpectation() {
        let twoBounds = scenario() + "expect:\n  closed-by-broker: { exactly: 3, at-least: 1 }\n"
        assertSingleError(twoBounds, at: "{ exactly: 3, at-least", mentions: "`closed-by-broker` takes exactly one of")
        let unknown = scenarioErrors(scenario() + "expect:\n  resumed-sessions: { exatly: 1 }\n")
        XCTAssertTrue(unknown.contains { $0.problem == "unknown key `exatly` in expect.resumed-sessions" && $0.hint?.contains("`exactly`") == true },
                      "\(unknown)")
        let misspelt = scenario() + "expect:\n  closed-by-brokers: { exactly: 1 }\n"
        assertSingleError(misspelt, at: "closed-by-brokers", mentions: "unknown key", hint: "closed-by-broker")
    }
}
