import Scenario
import XCTest

/// Durations, rates and percentages as the format writes them.
final class QuantityTests: XCTestCase {
    private func every(_ text: String) throws -> Duration? {
        try loadPlan(scenario(group: ["telemetry: { topic: \"d/{clientId}\", every: \(text) }"])).groups.first?.telemetry?.every
    }

    func testDurations() throws {
        XCTAssertEqual(try every("500ms"), .milliseconds(500))
        XCTAssertEqual(try every("2s"), .seconds(2))
        XCTAssertEqual(try every("1.5m"), .seconds(90))
        XCTAssertEqual(try every("1h"), .seconds(3600))
        XCTAssertEqual(try every("0.25s"), .milliseconds(250))
    }

    func testRates() throws {
        func bandwidth(_ text: String) throws -> Int? {
            let plan = try loadPlan(scenario(steps: ["{ at: 1s, throttle: { bandwidth: \(text), for: 1s } }"]))
            guard case .throttle(let spec)? = plan.timeline.last?.action else { return nil }
            return spec.bandwidthBitsPerSecond
        }
        XCTAssertEqual(try bandwidth("2kbit/s"), 2_000)
        XCTAssertEqual(try bandwidth("64kbit/s"), 64_000)
        XCTAssertEqual(try bandwidth("1Mbit/s"), 1_000_000)
        XCTAssertEqual(try bandwidth("1.5Mbit/s"), 1_500_000)
        XCTAssertEqual(try bandwidth("300bit/s"), 300)
    }

    func testPercentages() throws {
        let plan = try loadPlan(scenario(steps: ["{ at: 1s, disconnect: { select: 12.5%, mode: abrupt } }"]))
        guard case .disconnect(let spec)? = plan.timeline.last?.action else { return XCTFail("expected a disconnect") }
        XCTAssertEqual(spec.target.selection, .percent(12.5))
    }

    func testOutOfOrderTimeMessageUsesShortUnits() {
        let yaml = scenario(steps: ["{ at: 1500ms, wait: 500ms }", "{ at: 1s, stop: graceful }"])
        assertSingleError(yaml, at: "1s, stop", mentions: "step at 1s comes before the previous step's 2s")
        let fractional = scenario(steps: ["{ at: 1200ms, wait: 50ms }", "{ at: 1s, stop: graceful }"])
        assertSingleError(fractional, at: "1s, stop", mentions: "previous step's 1250ms")
    }
}
