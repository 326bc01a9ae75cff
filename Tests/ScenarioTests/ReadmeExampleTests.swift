import Foundation
import Scenario
import XCTest

/// The full example in Scenarios/README.md stays a valid scenario.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeExampleLoads() throws {
        let readme = try String(contentsOfFile: Repository.scenarios + "/README.md", encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "```yaml\n"))
        let end = try XCTUnwrap(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let yaml = String(readme[start.upperBound..<end.lowerBound])
        // The example points at a CA and a certificate folder that need not exist on this machine.
        let plan = try loadPlan(yaml, options: ScenarioLoader.Options(checkCertificateFiles: false))
        XCTAssertEqual(plan.deviceCount, 1000)
        XCTAssertEqual(plan.timeline.count, 9)
    }
}
