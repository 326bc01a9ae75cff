import LabBroker
import Scenario
import XCTest

/// The loader checks `sessions:` against lab:eventgrid's limit without depending on LabBroker: its copy of the
/// number must be the shipped profile's.
final class EventGridSessionLimitTests: XCTestCase {
    func testTheLoaderKnowsTheLabEventGridLimit() throws {
        let profile = try ProfileLoader.builtIn(named: "eventgrid")
        XCTAssertEqual(profile.maximumSessionsPerAuthenticationName, SessionIDPattern.labEventGridLimit)
    }
}
