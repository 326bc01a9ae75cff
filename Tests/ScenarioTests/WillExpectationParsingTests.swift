import Scenario
import XCTest

/// `expect: wills:` keeps which outcomes the file stated, so the report can mark the rest as defaults.
final class WillExpectationParsingTests: XCTestCase {
    private func wills(_ lines: String) throws -> WillExpectations? {
        try loadPlan(scenario() + "expect:\n" + lines).expectations.wills
    }

    func testOnlyTheWrittenOutcomesAreStated() throws {
        let read = try XCTUnwrap(try wills("  wills: { abrupt: delivered, graceful-with-will: none }\n"))
        XCTAssertEqual(read.stated, [.abrupt, .gracefulWithWill])
        XCTAssertEqual(read.abrupt, .delivered)
        XCTAssertEqual(read.gracefulWithWill, .none)
        XCTAssertEqual(read.silent, .delivered, "the default, not stated")
        XCTAssertEqual(read[.takeover], .ignore)
    }

    func testTimingAloneStatesNoOutcome() throws {
        let read = try XCTUnwrap(try wills("  wills: { deadline-grace: 3s }\n"))
        XCTAssertEqual(read.stated, [])
        XCTAssertEqual(read.deadlineGrace, .seconds(3))
        XCTAssertNil(try wills("  connected-at-end: { at-least: 1 }\n"), "no wills: key, no will expectations")
    }

    func testOutcomesSetInCodeAreAllStated() {
        XCTAssertEqual(WillExpectations(abrupt: .none).stated, Set(WillExpectations.Ending.allCases))
    }
}
