import Scenario
import XCTest

/// How `fleet run --dry-run` names the devices a step selects.
final class SelectionSummaryTests: XCTestCase {
    private func ids(_ numbers: ClosedRange<Int>, _ prefix: String = "sensor-") -> [String] {
        numbers.map { prefix + String(repeating: "0", count: 4 - String($0).count) + String($0) }
    }

    func testConsecutiveIDsAreARange() {
        XCTAssertEqual(SelectionSummary.describe(ids(1...10)), "10 devices: sensor-0001…0010")
        XCTAssertEqual(SelectionSummary.describe(ids(1...3) + ids(7...7) + ids(9...10)),
                       "6 devices: sensor-0001…0003, sensor-0007, sensor-0009, sensor-0010")
        XCTAssertEqual(SelectionSummary.describe(["d-9", "d-10", "d-11"]), "3 devices: d-9…11", "unpadded numbers grow a digit")
        XCTAssertEqual(SelectionSummary.describe(["d-09", "d-010"]), "2 devices: d-09, d-010", "padding that changes is no range")
    }

    func testOneDeviceAndNone() {
        XCTAssertEqual(SelectionSummary.describe(["XiaoTandHandCO2-0001"]), "1 device: XiaoTandHandCO2-0001")
        XCTAssertEqual(SelectionSummary.describe([]), "0 devices")
    }

    func testIDsWithoutANumberAndOtherStemsAreNotJoined() {
        XCTAssertEqual(SelectionSummary.describe(["alpha", "beta", "a-1", "b-2", "b-3", "b-4"]),
                       "6 devices: alpha, beta, a-1, b-2…4")
    }

    func testSessionsOfEachIdentityAreRanges() {
        let sessions = (1...2).flatMap { identity in (1...3).map { "app-0\(identity)-session-\($0)" } }
        XCTAssertEqual(SelectionSummary.describe(sessions), "6 devices: app-01-session-1…3, app-02-session-1…3")
    }

    func testALongSelectionIsCutAndCounted() {
        let scattered = stride(from: 1, through: 99, by: 2).map { "sensor-\($0)" }
        let line = SelectionSummary.describe(scattered, width: 40)
        XCTAssertTrue(line.hasPrefix("50 devices: sensor-1, sensor-3, sensor-5, "), line)
        XCTAssertTrue(line.hasSuffix(" more"), line)
        let shown = line.dropFirst("50 devices: ".count).components(separatedBy: ", ")
        XCTAssertEqual(shown.last, "… \(50 - (shown.count - 1)) more", line)
        XCTAssertLessThanOrEqual(line.count - "50 devices: ".count, 40 + 2, line)
    }
}
