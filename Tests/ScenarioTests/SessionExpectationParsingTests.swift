import Scenario
import XCTest

/// `expect: lost-sessions` (a device count, like `resumed-sessions`) and `expect: queued-delivery`.
final class SessionExpectationParsingTests: XCTestCase {
    private func expectations(_ lines: String) throws -> Expectations {
        try loadPlan(scenario() + "expect:\n" + lines).expectations
    }

    func testBothAreRead() throws {
        let read = try expectations("  lost-sessions: { exactly: 1 }\n  queued-delivery: complete\n")
        XCTAssertEqual(read.lostSessions, .exactly(1))
        XCTAssertEqual(read.queuedDelivery, .complete)
        XCTAssertEqual(try expectations("  lost-sessions: { percent: 50% }\n").lostSessions, .percent(50))
        let absent = try expectations("  resumed-sessions: { at-least: 1 }\n")
        XCTAssertNil(absent.lostSessions)
        XCTAssertNil(absent.queuedDelivery)
    }

    func testMistakesAreLocated() {
        assertSingleError(scenario() + "expect:\n  lost-sessions: { exactly: 1, at-most: 2 }\n", at: "{ exactly: 1, at-most",
                          mentions: "`lost-sessions` takes exactly one of")
        assertSingleError(scenario() + "expect:\n  queued-delivery: compete\n", at: "compete",
                          mentions: "unknown queued-delivery `compete`", hint: "did you mean `complete`?")
        assertSingleError(scenario() + "expect:\n  lost-session: { exactly: 1 }\n", at: "lost-session",
                          mentions: "unknown key", hint: "lost-sessions")
    }
}
